function Restore-AmsDatabase {
    <#
    .SYNOPSIS
    Replaces the ams database with a backup. (Module addition.)

    .DESCRIPTION
    Restores the database from a backup file made by Backup-AmsDatabase. The database it replaces
    is kept as a dated copy next to it. ams refuses while another process (such as the running
    service) holds the instance; -Force restores anyway, and whatever that process writes later is
    lost. Stop the service first where you can.

    Asks for confirmation unless -Force is given (ConfirmImpact is High).

    The backup is authenticated before anything changes: its seal is checked with this host's key
    when the instance here holds the backup's master key, otherwise with the recovery password
    (-RecoveryPassword, handed to ams on its standard input, never on the command line), which
    also gives the restored instance a new host key file. A backup that cannot be authenticated
    is refused unless -InsecureSkipAuthentication is given.

    Runs `ams db restore FILE`, with `--force` when -Force is given, `--recovery-password-stdin`
    when -RecoveryPassword or -RecoveryPasswordStdin is given, and
    `--insecure-skip-authentication` when -InsecureSkipAuthentication is given.

    .PARAMETER Path
    The backup file to restore. A relative path is resolved against the current location.

    .PARAMETER Force
    Run without asking for confirmation, and restore even while another process holds the
    instance (ams --force).

    .PARAMETER RecoveryPassword
    The recovery password in force when the backup was taken, as a SecureString. Needed on a new
    host, or when the master key has been rotated since the backup.

    .PARAMETER RecoveryPasswordStdin
    Like `ams db restore --recovery-password-stdin`: without -RecoveryPassword, PowerShell
    prompts for it (as a SecureString). Implied by -RecoveryPassword.

    .PARAMETER InsecureSkipAuthentication
    Restore a backup without a seal, or whose seal cannot be checked here. A deliberate change to
    the file would go unnoticed.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before restoring, even with -Force.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.DatabaseRestore. What was restored, and where the replaced database was kept.

    .EXAMPLE
    Restore-AmsDatabase -Path 'D:\backup\ams-2026-01-31.amsbak'

    Restores a backup after asking for confirmation.

    .EXAMPLE
    Restore-AmsDatabase -Path 'E:\offsite\ams.amsbak' -RecoveryPassword (Read-Host -AsSecureString -Prompt 'Recovery password')

    Restores a backup on a new host; the instance opens at once.

    .EXAMPLE
    Test-AmsDatabaseBackup -Path $file; Restore-AmsDatabase -Path $file -Force

    Checks a backup, then restores it without prompting.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db restore`. The file is
    passed as the positional FILE argument of ams.

    .LINK
    Backup-AmsDatabase

    .LINK
    Test-AmsDatabaseBackup
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
    [OutputType('Ams.DatabaseRestore')]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [switch] $Force,

        [Parameter()]
        [System.Security.SecureString] $RecoveryPassword,

        [switch] $RecoveryPasswordStdin,

        [switch] $InsecureSkipAuthentication
    )

    if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) {
        $ConfirmPreference = 'None'
    }
    # ams runs in its own process: give it a full path, resolved against the current location.
    $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
    if (-not $PSCmdlet.ShouldProcess('the ams database', "Replace with the backup $file")) {
        return
    }
    $secret = $null
    if ($null -ne $RecoveryPassword) {
        $secret = $RecoveryPassword
    }
    elseif ($RecoveryPasswordStdin) {
        $secret = Read-Host -AsSecureString -Prompt 'Recovery password'
    }
    $parameters = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'Force', 'InsecureSkipAuthentication'
    if ($null -ne $secret) {
        $parameters['RecoveryPasswordStdin'] = $true
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db restore' -Parameters $parameters -Positional $file -Secret $secret -TargetObject $file |
        Add-AmsTypeName -TypeName 'Ams.DatabaseRestore'
}
