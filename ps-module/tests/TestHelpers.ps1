# Shared set-up for the Pester tests: dot-source it in BeforeAll.
#
#   BeforeAll { . (Join-Path $PSScriptRoot 'TestHelpers.ps1'); Import-AmsTestModule; Use-AmsStub }
#   AfterAll { Remove-AmsStub }
#
# Use-AmsStub points the module at tests/stub/ams.ps1 through $env:AMS_CLI_PATH; Get-AmsStubCall
# then returns what each run of the stub received.

$script:AmsModuleRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', 'AccessManager'))
$script:AmsManifest = [System.IO.Path]::Combine($script:AmsModuleRoot, 'AccessManager.psd1')
$script:AmsStubPath = [System.IO.Path]::Combine($PSScriptRoot, 'stub', 'ams.ps1')

function Import-AmsTestModule {
    Import-Module -Name $script:AmsManifest -Force -ErrorAction Stop
}

function Use-AmsStub {
    $script:SavedCliPath = $env:AMS_CLI_PATH
    $env:AMS_CLI_PATH = $script:AmsStubPath
    $env:AMS_STUB_LOG = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "ams-stub-$([guid]::NewGuid().ToString('n')).log")
    $env:AMS_STUB_RESPONSES = $null
}

function Remove-AmsStub {
    if ($env:AMS_STUB_LOG -and (Test-Path -LiteralPath $env:AMS_STUB_LOG)) {
        Remove-Item -LiteralPath $env:AMS_STUB_LOG -Force
    }
    if ($env:AMS_STUB_RESPONSES -and (Test-Path -LiteralPath $env:AMS_STUB_RESPONSES)) {
        Remove-Item -LiteralPath $env:AMS_STUB_RESPONSES -Force
    }
    $env:AMS_STUB_LOG = $null
    $env:AMS_STUB_RESPONSES = $null
    $env:AMS_CLI_PATH = $script:SavedCliPath
}

function Reset-AmsStubLog {
    if ($env:AMS_STUB_LOG -and (Test-Path -LiteralPath $env:AMS_STUB_LOG)) {
        Remove-Item -LiteralPath $env:AMS_STUB_LOG -Force
    }
}

function Set-AmsStubResponse {
    # Replaces the stub's answer for one verb: -Verb 'group get' -Response @{ exitCode = 7; rawStderr = 'boom' }
    param([string] $Verb, [hashtable] $Response)
    if (-not $env:AMS_STUB_RESPONSES) {
        $env:AMS_STUB_RESPONSES = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), "ams-stub-$([guid]::NewGuid().ToString('n')).json")
    }
    $all = @{}
    if (Test-Path -LiteralPath $env:AMS_STUB_RESPONSES) {
        $existing = Get-Content -LiteralPath $env:AMS_STUB_RESPONSES -Raw | ConvertFrom-Json
        foreach ($p in $existing.PSObject.Properties) {
            $all[$p.Name] = $p.Value
        }
    }
    $all[$Verb] = $Response
    $all | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $env:AMS_STUB_RESPONSES -Encoding utf8
}

function Clear-AmsStubResponse {
    if ($env:AMS_STUB_RESPONSES -and (Test-Path -LiteralPath $env:AMS_STUB_RESPONSES)) {
        Remove-Item -LiteralPath $env:AMS_STUB_RESPONSES -Force
    }
    $env:AMS_STUB_RESPONSES = $null
}

function Get-AmsStubCall {
    # One object per run of the stub: Argv (everything after the global flags), Line (Argv joined
    # with spaces), Global (the global flags), Stdin (text), StdinLines (non-empty lines).
    if (-not $env:AMS_STUB_LOG -or -not (Test-Path -LiteralPath $env:AMS_STUB_LOG)) {
        return
    }
    foreach ($text in [System.IO.File]::ReadAllLines($env:AMS_STUB_LOG)) {
        if ([string]::IsNullOrWhiteSpace($text)) {
            continue
        }
        $call = $text | ConvertFrom-Json -DateKind String
        $argv = @($call.argv | ForEach-Object { [string]$_ })
        $skip = 0
        while ($skip -lt $argv.Count - 1 -and $argv[$skip] -in @('--output', '--data-dir')) {
            $skip += 2
        }
        $rest = @($argv | Select-Object -Skip $skip)
        $stdin = [string]$call.stdin
        [pscustomobject]@{
            Argv       = $rest
            Line       = $rest -join ' '
            Global     = @($argv | Select-Object -First $skip)
            Stdin      = $stdin
            StdinLines = @($stdin -split "`n" | Where-Object { $_ -ne '' })
        }
    }
}

function Get-AmsParameterSet {
    # Metadata of one parameter in one parameter set (default: the set shared by all).
    param([string] $Command, [string] $Parameter, [string] $Set = '__AllParameterSets')
    $meta = (Get-Command -Name $Command -Module AccessManager).Parameters[$Parameter]
    if ($null -eq $meta) {
        return $null
    }
    $meta.ParameterSets[$Set]
}

function Get-AmsConfirmImpact {
    # The ConfirmImpact declared in [CmdletBinding()] of a module function.
    param([string] $Command)
    $binding = (Get-Command -Name $Command -Module AccessManager).ScriptBlock.Attributes |
        Where-Object { $_ -is [System.Management.Automation.CmdletBindingAttribute] }
    [string]$binding.ConfirmImpact
}

function New-AmsTestSecureString {
    param([string] $Text)
    $secure = [System.Security.SecureString]::new()
    foreach ($c in $Text.ToCharArray()) {
        $secure.AppendChar($c)
    }
    $secure
}

function ConvertFrom-AmsTestSecureString {
    param([System.Security.SecureString] $SecureString)
    [System.Net.NetworkCredential]::new('', $SecureString).Password
}
