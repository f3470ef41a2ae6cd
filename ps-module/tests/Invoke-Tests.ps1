# Runs the Pester tests of the AccessManager module (Pester 5). Unit tests always; the tests tagged
# Integration only with -Integration (they need the real ams binary, see Integration.Tests.ps1).
# Exits non-zero when a test fails, and ends with one line "pester: N passed, N failed, N skipped".
[CmdletBinding()]
param(
    [switch] $Integration
)

$ErrorActionPreference = 'Stop'
$pester = Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0.0' } |
    Sort-Object -Property Version -Descending | Select-Object -First 1
if ($null -eq $pester) {
    Write-Output 'Pester 5 is not installed. Install it with: Install-Module Pester -MinimumVersion 5.0.0 -Scope CurrentUser'
    exit 2
}
Import-Module $pester -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = $PSScriptRoot
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if (-not $Integration) {
    $configuration.Filter.ExcludeTag = @('Integration')
}

$result = Invoke-Pester -Configuration $configuration
Write-Output ('pester: {0} passed, {1} failed, {2} skipped' -f $result.PassedCount, $result.FailedCount, $result.SkippedCount)
if ($result.FailedCount -gt 0 -or $result.Result -ne 'Passed') {
    exit 1
}
exit 0
