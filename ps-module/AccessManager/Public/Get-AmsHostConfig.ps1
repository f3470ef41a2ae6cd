function Get-AmsHostConfig {
    <#
    .SYNOPSIS
    Shows the configuration of this ams host.

    .DESCRIPTION
    Reads host.toml in the data directory: the database connection string, whether this host
    serves the agent API, the web app and remote management, its external host name, its HTTP and
    HTTPS ports, and its log and configuration paths. These settings belong to this host only;
    other hosts of a farm have their own.

    A password in the connection string is shown as ***. The file is read directly, so this works
    even when the database cannot be reached.

    Runs `ams host-config get`.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.HostConfig

    .EXAMPLE
    Get-AmsHostConfig

    Shows this host's configuration.

    .EXAMPLE
    (Get-AmsHostConfig).ConnectionString

    Shows which database this host uses, with any password masked.

    .NOTES
    Part of the 43 upstream cmdlets. Wraps `ams host-config get`.

    .LINK
    Set-AmsHostConfig

    .LINK
    Get-AmsServiceConfig
    #>
    [CmdletBinding()]
    [OutputType('Ams.HostConfig')]
    param()

    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'host-config get' -Parameters ([ordered]@{}) |
        Add-AmsTypeName -TypeName 'Ams.HostConfig'
}
