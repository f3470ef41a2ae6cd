function Get-AmsServiceConfig {
    <#
    .SYNOPSIS
    Shows the farm-wide settings of the ams service.

    .DESCRIPTION
    Reads the settings kept in the database and shared by every host of the farm: the farm host
    names and ports for agents and the web app, the forests and domains to ignore, and every other
    registered setting (password age and history retention, and the settings later features add).

    Each setting is a property of its own name. The Settings property lists every registered
    setting with its type, its value, its default, its range (numbers) and whether the default
    applies; those names are the ones Set-AmsServiceConfig -Setting accepts.

    Runs `ams service-config get`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.ServiceConfig

    .EXAMPLE
    Get-AmsServiceConfig

    Shows the farm-wide settings.

    .EXAMPLE
    (Get-AmsServiceConfig).Settings | Where-Object { -not $_.IsDefault }

    Lists the settings that were changed from their defaults.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams service-config get`.

    .LINK
    Set-AmsServiceConfig

    .LINK
    Get-AmsHostConfig
    #>
    [CmdletBinding()]
    [OutputType('Ams.ServiceConfig')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'service-config get' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.ServiceConfig'
}
