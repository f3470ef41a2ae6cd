function Update-AmsDatabase {
    <#
    .SYNOPSIS
    Applies pending database migrations. (Module addition.)

    .DESCRIPTION
    Brings the ams database schema up to the version this ams expects. A copy of the database is
    kept before any migration runs; its location is reported in PreMigrationCopy. Nothing happens
    when the schema is already current.

    With -PrintSql nothing is changed: the pending migrations come back as one script (in the
    Script property, in the engine's dialect: T-SQL for SQL Server) for a DBA who applies
    scripts by hand. The script also records each migration, so ams then sees the database as
    migrated.

    Runs `ams db migrate` (`ams db migrate --print-sql` with -PrintSql).

    .PARAMETER PrintSql
    Return the pending migrations as one script instead of applying them.

    .PARAMETER WhatIf
    Shows what would happen without running ams.

    .PARAMETER Confirm
    Asks before migrating.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.DatabaseMigration. The versions applied, the schema version now, and the copy taken first.

    .EXAMPLE
    Update-AmsDatabase

    Migrates the database to the current schema.

    .EXAMPLE
    Update-AmsDatabase -WhatIf

    Shows that a migration would run, without running it.

    .EXAMPLE
    (Update-AmsDatabase -PrintSql).Script | Set-Content -Path pending.sql

    Writes the pending migrations to a script for the DBA, changing nothing.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db migrate`.

    .LINK
    Get-AmsDatabaseStatus
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.DatabaseMigration')]
    param(
        [switch] $PrintSql
    )

    if ($PrintSql) {
        Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db migrate' -Parameters ([ordered]@{ PrintSql = $true }) |
            Add-AmsTypeName -TypeName 'Ams.DatabaseMigrationScript'
        return
    }
    if (-not $PSCmdlet.ShouldProcess('the ams database', 'Apply pending migrations')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db migrate' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.DatabaseMigration'
}
