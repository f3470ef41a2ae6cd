function Test-AmsDatabaseBackup {
    <#
    .SYNOPSIS
    Checks a database backup file. (Module addition.)

    .DESCRIPTION
    Checks that a backup file made by Backup-AmsDatabase is whole, authentic and usable: its
    checksums, the schema and integrity of the SQLite database inside it, and its seal. The seal
    is checked with this host's key when the instance here holds the backup's master key, or with
    -RecoveryPassword, which also proves the backup can be restored on another machine; a backup
    that cannot be authenticated is refused unless -InsecureSkipAuthentication is given.

    The recovery password is handed to ams on its standard input, never on the command line.
    The backup file is not changed.

    Runs `ams db verify FILE`, with `--recovery-password-stdin` when -RecoveryPassword or
    -RecoveryPasswordStdin is given, and `--insecure-skip-authentication` when
    -InsecureSkipAuthentication is given.

    .PARAMETER Path
    The backup file to check. A relative path is resolved against the current location. Binds
    from the Path property of piped objects.

    .PARAMETER RecoveryPassword
    The recovery password of the instance the backup came from, as a SecureString. When given,
    the master key and a sample of secrets are also checked.

    .PARAMETER RecoveryPasswordStdin
    Also check the recovery password, like `ams db verify --recovery-password-stdin`: without
    -RecoveryPassword, PowerShell prompts for it (as a SecureString). Implied by -RecoveryPassword.

    .PARAMETER InsecureSkipAuthentication
    Accept a backup without a seal, or whose seal cannot be checked here: only its checksums and
    contents are checked, and a deliberate change to it would go unnoticed.

    .INPUTS
    System.String. Any object with a Path property.

    .OUTPUTS
    Ams.DatabaseBackupVerification

    .EXAMPLE
    Test-AmsDatabaseBackup -Path 'D:\backup\ams-2026-01-31.amsbak'

    Checks the checksums, integrity and schema version of a backup.

    .EXAMPLE
    Test-AmsDatabaseBackup 'D:\backup\ams-2026-01-31.amsbak' -RecoveryPassword (Read-Host -AsSecureString -Prompt 'Recovery password')

    Also checks that the recovery password opens the backup's master key and secrets.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db verify`. The file is
    passed as the positional FILE argument of ams.

    .LINK
    Backup-AmsDatabase

    .LINK
    Restore-AmsDatabase
    #>
    [CmdletBinding()]
    [OutputType('Ams.DatabaseBackupVerification')]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $Path,

        [Parameter()]
        [System.Security.SecureString] $RecoveryPassword,

        [switch] $RecoveryPasswordStdin,

        [switch] $InsecureSkipAuthentication
    )

    begin {
        $secret = $null
        if ($null -ne $RecoveryPassword) {
            $secret = $RecoveryPassword
        }
        elseif ($RecoveryPasswordStdin) {
            # Asked once for all piped files; ams itself never prompts, its stdin is not the console.
            $secret = Read-Host -AsSecureString -Prompt 'Recovery password'
        }
    }

    process {
        # ams runs in its own process: give it a full path, resolved against the current location.
        $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Path)
        $parameters = [ordered]@{}
        if ($null -ne $secret) {
            $parameters['RecoveryPasswordStdin'] = $true
        }
        if ($InsecureSkipAuthentication) {
            $parameters['InsecureSkipAuthentication'] = $true
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db verify' -Parameters $parameters -Positional $file -Secret $secret -TargetObject $file |
            Add-AmsTypeName -TypeName 'Ams.DatabaseBackupVerification'
    }
}
