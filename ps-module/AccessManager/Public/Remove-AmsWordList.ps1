function Remove-AmsWordList {
    <#
    .SYNOPSIS
    Deletes a custom word list. (Module addition.)

    .DESCRIPTION
    Removes a custom word list that no agent policy uses (AMS-POL-0012 otherwise). The built-in
    list cannot be removed (AMS-POL-0011).

    Asks for confirmation unless -Force is given (ConfirmImpact is High).

    Runs `ams word-list remove`.

    .PARAMETER Id
    The id of the list. Binds from the Id property of piped objects.

    .PARAMETER Force
    Remove without asking for confirmation.

    .PARAMETER WhatIf
    Shows what would be removed without running ams.

    .PARAMETER Confirm
    Asks before each removal, even with -Force.

    .INPUTS
    System.String. Any object with an Id property, such as the output of Get-AmsWordList.

    .OUTPUTS
    None.

    .EXAMPLE
    Get-AmsWordList -Name 'Old list' | Remove-AmsWordList -Force

    Removes a list without prompting.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams word-list remove`.

    .LINK
    Get-AmsWordList
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Id,

        [switch] $Force
    )

    begin {
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
            $ConfirmPreference = 'None'
        }
        $queue = [System.Collections.Generic.List[object]]::new()
    }

    process {
        if (-not $PSCmdlet.ShouldProcess("word list $Id", 'Remove')) {
            return
        }
        $null = Add-AmsQueuedRequest -Caller $PSCmdlet -Queue $queue -Verb 'word-list remove' -Parameters ([ordered]@{ Id = $Id }) -Target $Id
    }

    end {
        $null = Invoke-AmsRequestQueue -Caller $PSCmdlet -Queue $queue
    }
}
