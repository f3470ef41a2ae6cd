function Backup-AmsDatabase {
    <#
    .SYNOPSIS
    Backs the ams database up into one file. (Module addition.)

    .DESCRIPTION
    Copies the database while ams is in use into one self-describing backup file. The file is
    created with owner-only permissions and an existing file is never overwritten. Keep the
    recovery password with the backup: without it, the secrets in a backup restored on another
    machine cannot be read.

    With -Scheduled it runs as the scheduled backup job instead: it backs up into the configured
    backup folder when a backup is due, then deletes the oldest backups beyond the retention count
    (the settings BackupEnabled, BackupIntervalHours, BackupRetentionCount and BackupFolder).

    Runs `ams db backup`.

    .PARAMETER Out
    The backup file to create. It must not exist. A relative path is resolved against the current
    location. Also accepted as -Path.

    .PARAMETER Scheduled
    Run as the scheduled job: back up into the backup folder if one is due, then prune.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before writing the backup.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.DatabaseBackup. What was written (or, with -Scheduled, what the job did).

    .EXAMPLE
    Backup-AmsDatabase -Path 'D:\backup\ams-2026-01-31.amsbak'

    Writes a backup of the database to a new file.

    .EXAMPLE
    Backup-AmsDatabase -Scheduled

    Runs the scheduled backup job now: a backup into the backup folder if one is due.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db backup`.

    .LINK
    Test-AmsDatabaseBackup

    .LINK
    Restore-AmsDatabase
    #>
    [CmdletBinding(DefaultParameterSetName = 'Out', SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.DatabaseBackup')]
    param(
        [Parameter(Mandatory, Position = 0, ParameterSetName = 'Out')]
        [Alias('Path')]
        [ValidateNotNullOrEmpty()]
        [string] $Out,

        [Parameter(Mandatory, ParameterSetName = 'Scheduled')]
        [switch] $Scheduled
    )

    if ($PSCmdlet.ParameterSetName -eq 'Scheduled') {
        if (-not $PSCmdlet.ShouldProcess('the ams backup folder', 'Back up the database if due, then delete old backups')) {
            return
        }
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db backup' -Parameters ([ordered]@{ Scheduled = $true }) |
            Add-AmsTypeName -TypeName 'Ams.DatabaseBackup'
        return
    }

    # ams runs in its own process: give it a full path, resolved against the current location.
    $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($Out)
    if (-not $PSCmdlet.ShouldProcess($path, 'Write a database backup')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db backup' -Parameters ([ordered]@{ Out = $path }) -TargetObject $path |
        Add-AmsTypeName -TypeName 'Ams.DatabaseBackup'
}
