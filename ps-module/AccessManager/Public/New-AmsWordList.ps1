function New-AmsWordList {
    <#
    .SYNOPSIS
    Imports a word list for passphrases. (Module addition.)

    .DESCRIPTION
    Imports a custom word list from a text file with one word per line (at most 1 MiB). Lines
    are trimmed and lower-cased, a leading dice number is dropped, blank lines and # comments are
    ignored, and duplicates are removed; every word must be 1 to 32 letters a-z, and at least
    2,000 distinct words must remain. Agent policies name the list by its id in their passphrase
    settings.

    Runs `ams word-list new`.

    .PARAMETER Name
    A name for the list, unique ignoring case.

    .PARAMETER File
    The path of the list file.

    .PARAMETER Description
    A description.

    .PARAMETER Language
    The language of the words (for people).

    .PARAMETER WhatIf
    Shows what would be imported without running ams.

    .PARAMETER Confirm
    Asks before importing the list.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.WordList

    .EXAMPLE
    New-AmsWordList -Name 'German' -File ./de.txt -Language de

    Imports a German word list.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams word-list new`.

    .LINK
    Get-AmsWordList
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.WordList')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(Mandatory)]
        [ValidateNotNullOrEmpty()]
        [string] $File,

        [Parameter()]
        [AllowEmptyString()]
        [string] $Description,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $Language
    )

    if (-not $PSCmdlet.ShouldProcess("word list '$Name'", 'Import')) {
        return
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Name', 'File', 'Description', 'Language'
    if ($parameters.Contains('File')) {
        $parameters['File'] = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($File)
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'word-list new' -Parameters $parameters -TargetObject $Name |
        Add-AmsTypeName -TypeName 'Ams.WordList'
}
