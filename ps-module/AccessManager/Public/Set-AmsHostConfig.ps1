function Set-AmsHostConfig {
    <#
    .SYNOPSIS
    Changes the configuration of this ams host.

    .DESCRIPTION
    Changes settings in host.toml that apply to this host only. Parameters left out keep their
    current value; an empty string removes an optional value (ExternalHostname, LogPath,
    ConfigPath). Every value is checked before anything is written, and the file is replaced in one
    step, keeping its permissions, so a refused change leaves it as it was. The ams service must be
    restarted to use the new settings.

    A new connection string is tested first: for sqlite:// the file must exist and be an ams
    database; for SQL Server ams connects and logs in, and the database must be an ams database or
    empty (for Initialize-AmsInstance). -SkipConnectionStringValidation stores it untested (only its
    form is checked). The connection string is sent to ams on its standard input, never on its
    command line, because it may hold a password.

    Runs `ams host-config set`.

    .PARAMETER AgentAccessEnabled
    Serve the agent API on this host.

    .PARAMETER WebAppEnabled
    Serve the end-user web app on this host.

    .PARAMETER ExternalHostname
    The DNS name agents and users reach this host by. Agents must use exactly this name. An empty
    string removes it.

    .PARAMETER LogPath
    An absolute path: a log file, or a folder of .log files. An empty string removes it.

    .PARAMETER ConfigPath
    An absolute path of a folder for additional configuration files. An empty string removes it.

    .PARAMETER ConnectionString
    The database connection string, such as sqlite:///var/lib/ams/ams.db (a relative path is
    relative to the data directory), or a SQL Server connection string in the ADO.NET form,
    Server=tcp:sql1,1433;Database=AccessManager;User Id=ams;Password=... (see docs/sql-server.md).

    .PARAMETER SkipConnectionStringValidation
    Store the connection string without testing it.

    .PARAMETER RemoteManagementEnabled
    Accept remote management on this host.

    .PARAMETER HttpPort
    The HTTP port (it only redirects to HTTPS). Module addition; the default is 80.

    .PARAMETER HttpsPort
    The HTTPS port. Module addition; the default is 443.

    .PARAMETER WhatIf
    Shows what would change without running ams.

    .PARAMETER Confirm
    Asks before the change.

    .INPUTS
    None. This cmdlet does not take pipeline input.

    .OUTPUTS
    Ams.HostConfig. The host configuration after the change.

    .EXAMPLE
    Set-AmsHostConfig -AgentAccessEnabled $true -ExternalHostname 'ams.example.com'

    Lets agents reach this host under the name ams.example.com.

    .EXAMPLE
    Set-AmsHostConfig -WebAppEnabled $false

    Stops serving the web app on this host.

    .EXAMPLE
    Set-AmsHostConfig -LogPath '/var/log/ams'

    Writes this host's logs to /var/log/ams.

    .NOTES
    Part of the 43 upstream cmdlets. -HttpPort and -HttpsPort are module additions (upstream sets
    the ports in its configuration program). Adds -WhatIf and -Confirm. Wraps
    `ams host-config set`.

    .LINK
    Get-AmsHostConfig
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType('Ams.HostConfig')]
    param(
        [Parameter()]
        [bool] $AgentAccessEnabled,

        [Parameter()]
        [bool] $WebAppEnabled,

        [Parameter()]
        [AllowEmptyString()]
        [string] $ExternalHostname,

        [Parameter()]
        [AllowEmptyString()]
        [string] $LogPath,

        [Parameter()]
        [AllowEmptyString()]
        [string] $ConfigPath,

        [Parameter()]
        [ValidateNotNullOrEmpty()]
        [string] $ConnectionString,

        [Parameter()]
        [switch] $SkipConnectionStringValidation,

        [Parameter()]
        [bool] $RemoteManagementEnabled,

        [Parameter()]
        [ValidateRange(1, 65535)]
        [int] $HttpPort,

        [Parameter()]
        [ValidateRange(1, 65535)]
        [int] $HttpsPort
    )

    $parameters = [ordered]@{}
    foreach ($name in 'AgentAccessEnabled', 'WebAppEnabled', 'RemoteManagementEnabled') {
        if ($PSBoundParameters.ContainsKey($name)) {
            # ams takes these as true/false values; a flag left out would mean "no change".
            $parameters[$name] = if ($PSBoundParameters[$name]) { 'true' } else { 'false' }
        }
    }
    $copied = Get-AmsVerbParameter -BoundParameters $PSBoundParameters -Name 'ExternalHostname', 'LogPath', 'ConfigPath', 'HttpPort', 'HttpsPort', 'SkipConnectionStringValidation'
    foreach ($key in @($copied.Keys)) {
        $parameters[$key] = $copied[$key]
    }

    $secret = $null
    if ($PSBoundParameters.ContainsKey('ConnectionString')) {
        # The connection string may hold a password: it goes to ams on stdin, never in argv.
        $parameters['ConnectionString'] = '-'
        $secret = ConvertTo-AmsSecureString -Text $ConnectionString
    }

    if (-not $PSCmdlet.ShouldProcess('host configuration of this host', 'Update')) {
        return
    }
    Invoke-AmsVerb -Caller $PSCmdlet -Verb 'host-config set' -Parameters $parameters -Secret $secret |
        Add-AmsTypeName -TypeName 'Ams.HostConfig'
}
