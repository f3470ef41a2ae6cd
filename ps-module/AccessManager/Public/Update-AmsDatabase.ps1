function Update-AmsDatabase {
    <#
    .SYNOPSIS
    Applies pending database migrations. (Module addition.)

    .DESCRIPTION
    Brings the ams database schema up to the version this ams expects. A copy of the database is
    kept before any migration runs; its location is reported in PreMigrationCopy. Nothing happens
    when the schema is already current.

    Runs `ams db migrate`.

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

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db migrate`.

    .LINK
    Get-AmsDatabaseStatus
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.DatabaseMigration')]
    param()

    if (-not $PSCmdlet.ShouldProcess('the ams database', 'Apply pending migrations')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db migrate' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.DatabaseMigration'
}
