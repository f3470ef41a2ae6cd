function Get-AmsDatabaseStatus {
    <#
    .SYNOPSIS
    Shows the state of the ams database. (Module addition.)

    .DESCRIPTION
    Reports the database engine, the database in use (with any password masked), the schema
    version it is at, the version this ams expects, and the migrations still to apply. Works even
    when the schema is out of date, so it is the first thing to run after an upgrade.

    Runs `ams db status`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.DatabaseStatus

    .EXAMPLE
    Get-AmsDatabaseStatus

    Shows the schema version and any pending migrations.

    .EXAMPLE
    if ((Get-AmsDatabaseStatus).PendingMigrations) { Update-AmsDatabase }

    Applies migrations only when some are pending.

    .NOTES
    Module addition: not one of the 43 upstream cmdlets. Wraps `ams db status`.

    .LINK
    Update-AmsDatabase
    #>
    [CmdletBinding()]
    [OutputType('Ams.DatabaseStatus')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db status' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.DatabaseStatus'
}
