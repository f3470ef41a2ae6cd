function Export-AmsServerDiagnostics {
    <#
    .SYNOPSIS
    Writes a ZIP of diagnostic information about this ams host.

    .DESCRIPTION
    Collects what support needs to see into one ZIP file: the versions of ams and the operating
    system, this host's configuration and the farm-wide settings, the database and master key
    status, the encryption certificates (public parts only), the claim mappings, row counts of
    devices, groups and rules, the newest audit records, and the end of each log file.

    No secret goes into the file: no password, BitLocker key, registration key, recovery password,
    private key, host key or database file, and passwords in connection strings and log lines are
    replaced by ***. The file is created readable by its owner only. Parts that cannot be
    collected (for example when the database is unreachable) are listed in errors.json inside the
    ZIP and reported here as a warning.

    An existing file is only replaced after confirmation, or with -Force.

    Runs `ams server-diagnostics export`.

    .PARAMETER File
    The path of the ZIP file to write. Relative paths are relative to the current location.

    .PARAMETER Force
    Replace an existing file without asking.

    .PARAMETER WhatIf
    Shows what would be written without running ams.

    .PARAMETER Confirm
    Asks before writing the file.

    .INPUTS
    System.String. Any object with a File property.

    .OUTPUTS
    None.

    .EXAMPLE
    Export-AmsServerDiagnostics -File ./diagnostics.zip

    Writes the diagnostics of this host to diagnostics.zip in the current folder.

    .EXAMPLE
    Export-AmsServerDiagnostics -File /tmp/ams-support.zip -Force

    Writes the diagnostics, replacing an older file of the same name.

    .NOTES
    Part of the 43 upstream cmdlets. Adds -WhatIf and -Confirm. Wraps
    `ams server-diagnostics export`.

    .LINK
    Get-AmsHostConfig

    .LINK
    Get-AmsServiceConfig
    #>
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Medium')]
    [OutputType([void])]
    param(
        [Parameter(Mandatory, Position = 0, ValueFromPipelineByPropertyName)]
        [ValidateNotNullOrEmpty()]
        [string] $File,

        [switch] $Force
    )

    process {
        # ams runs in its own process: give it a full path, resolved against the current location.
        $path = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($File)
        if (-not $PSCmdlet.ShouldProcess($path, 'Write a diagnostics ZIP')) {
            return
        }
        $replace = [bool]$Force
        if (-not $replace -and (Test-Path -LiteralPath $path -PathType Leaf)) {
            # Like upstream: ask before replacing a file, unless -Force.
            if (-not $PSCmdlet.ShouldContinue("The file '$path' already exists. Replace it?", 'Export-AmsServerDiagnostics')) {
                return
            }
            $replace = $true
        }
        $parameters = [ordered]@{ File = $path; Force = $replace }
        $report = Invoke-AmsVerb -Caller $PSCmdlet -Verb 'server-diagnostics export' -Parameters $parameters -TargetObject $path
        if ($null -ne $report) {
            $failedProperty = $report.PSObject.Properties['FailedParts']
            $failed = if ($null -ne $failedProperty) { @($failedProperty.Value | Where-Object { $null -ne $_ }) } else { @() }
            if ($failed.Count -gt 0) {
                Write-Warning -Message ("Some parts could not be collected ({0}); errors.json in the ZIP says why." -f ($failed -join ', '))
            }
            Write-Verbose -Message "Wrote $path."
        }
    }
}
