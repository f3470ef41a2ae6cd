function Get-AmsWordList {
    <#
    .SYNOPSIS
    Lists word lists, or finds one by id or name. (Module addition.)

    .DESCRIPTION
    Lists the word lists passphrases can be drawn from: the built-in EFF large wordlist
    (7,772 words, id eff-large, read-only) first, then the custom lists by name, with their word
    counts, the bits one word adds and a SHA-256 of the words.

    Runs `ams word-list get`.

    .PARAMETER Id
    The id of a list. Binds from the Id property of piped objects.

    .PARAMETER Name
    The name of a list (ignoring case).

    .INPUTS
    System.String. Any object with an Id property.

    .OUTPUTS
    Ams.WordList

    .EXAMPLE
    Get-AmsWordList | Select-Object Name, WordCount, BitsPerWord

    Shows how many bits a word from each list adds.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams word-list get`.

    .LINK
    New-AmsWordList
    #>
    [CmdletBinding(DefaultParameterSetName = 'GetByName')]
    [OutputType('Ams.WordList')]
    param(
        [Parameter(ParameterSetName = 'GetById', Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [Parameter(ParameterSetName = 'GetByName', Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name
    )

    begin {
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Id', 'Name'
        $target = if ($PSCmdlet.ParameterSetName -eq 'GetById') { $Id } else { $Name }
        Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'word-list get' -Parameters $parameters -Target $target | Add-AmsTypeName -TypeName 'Ams.WordList'
    }

    end {
        Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue | Add-AmsTypeName -TypeName 'Ams.WordList'
    }
}
