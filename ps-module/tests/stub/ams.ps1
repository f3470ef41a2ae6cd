#!/usr/bin/env pwsh
# A stand-in for the ams command line, for the Pester unit tests. Select it with
#   $env:AMS_CLI_PATH = '<this folder>/ams.ps1'
# (the module runs .ps1 files with the PowerShell that runs the module).
#
# It records every run as one JSON line {"argv":[...],"stdin":"..."} in $env:AMS_STUB_LOG, then
# answers like ams would: a canned JSON document on stdout chosen by the verb, exit code 0.
#
# Steering it from a test:
# - any argument (or, in `batch`, any parameter value) of the form fail-<kind>, e.g.
#   `-Id fail-not_found`, makes that request fail with an error of that kind and its exit code;
# - $env:AMS_STUB_RESPONSES may name a JSON file {"<verb>": {"exitCode": 0, "stdout": <json>,
#   "stderr": <json>, "rawStdout": "text", "rawStderr": "text"}} that replaces the canned answer for
#   a verb (raw* are written as they are, to test output that is not JSON).
#
# No param() block on purpose: the raw argv is read from the process, so flags such as --output
# are never taken for PowerShell parameters.

$ErrorActionPreference = 'Stop'

$exitCodes = @{
    internal = 1; usage = 2; not_found = 3; conflict = 4; invalid_input = 5; permission_denied = 6
    unavailable = 7; schema_version = 8; integrity = 9; config = 10
}

# argv as the process received it: everything after the script path.
$all = [Environment]::GetCommandLineArgs()
$argv = @()
for ($i = 0; $i -lt $all.Count; $i++) {
    if ($all[$i] -ieq '-File' -and $i + 1 -lt $all.Count) {
        $argv = @($all | Select-Object -Skip ($i + 2))
        break
    }
}

$utf8 = [System.Text.UTF8Encoding]::new($false)
$reader = [System.IO.StreamReader]::new([Console]::OpenStandardInput(), $utf8)
$stdin = $reader.ReadToEnd()
$reader.Dispose()

if ($env:AMS_STUB_LOG) {
    $entry = [ordered]@{ argv = [string[]]$argv; stdin = $stdin }
    $line = (ConvertTo-Json -InputObject $entry -Depth 5 -Compress) + "`n"
    [System.IO.File]::AppendAllText($env:AMS_STUB_LOG, $line, $utf8)
}

function Write-Raw([System.IO.Stream] $Stream, [string] $Text) {
    $bytes = $utf8.GetBytes($Text)
    $Stream.Write($bytes, 0, $bytes.Length)
    $Stream.Flush()
}

# The verb: the words before the first flag, after the global flags.
$rest = [System.Collections.Generic.List[string]]::new()
for ($i = 0; $i -lt $argv.Count; $i++) {
    if ($argv[$i] -in @('--output', '--data-dir')) {
        $i++
        continue
    }
    $rest.Add($argv[$i])
}
$verbWords = [System.Collections.Generic.List[string]]::new()
foreach ($word in $rest) {
    if ($word.StartsWith('-')) {
        break
    }
    $verbWords.Add($word)
}
$verb = $verbWords -join ' '

function New-StubDevice([string] $Id, [string] $Name) {
    [ordered]@{
        Id = $Id; Name = $Name; FullyQualifiedName = "AccessManager\$Name"; DnsName = $null
        AuthorityType = 'Ams'; AuthorityId = 'a867ac04-58c2-4f3b-9f4b-8a69f25ec54b'; AuthorityDeviceId = $Id
        Sid = 'S-1-4096-1-1'; OperatingSystemType = 'Linux'; ApprovalState = 'Approved'; Disabled = $false
        Created = '2026-01-01T00:00:00Z'; Modified = '2026-01-01T00:00:00Z'
    }
}
function New-StubGroup([string] $Id, [string] $Name) {
    [ordered]@{ Id = $Id; Name = $Name; Sid = 'S-1-4096-1-2'; Description = 'stub group'; Type = 'Normal' }
}
function New-StubKey([string] $Id, [string] $Name) {
    [ordered]@{
        Id = $Id; Name = $Name; Key = 'stub-registration-key'; ActivationLimit = 10; ActivationCount = 3
        Enabled = $true; ApprovalRequired = $false; Groups = @()
    }
}
function New-StubPassword([string] $Password, [string] $Retired) {
    [ordered]@{
        ComputerName = 'PC1'; DeviceId = 'd-1'; AccountName = 'Administrator'; Password = $Password
        Created = '2026-01-01T00:00:00Z'; Expires = $null; Retired = $Retired; Source = 'Ams'
    }
}
function New-StubAccessRequest([string] $State) {
    [ordered]@{
        Id = 'a-1'; State = $State; AccessType = 'LocalAdminPassword'; ComputerName = 'PC1'; DeviceId = 'd-1'
        RequesterSid = 'S-1-5-21-1-2-3-1104'; RuleId = 'r-1'; RuleKind = 'Computer'; RequestedAt = '2026-01-01T00:00:00Z'
        WaitUntil = '2026-01-02T00:00:00Z'; Approvers = @([ordered]@{ Sid = 'S-1-5-21-1-2-3-1105'; Name = 'CORP\bob' })
    }
}
function New-StubPolicy {
    [ordered]@{ Id = 'p-1'; Name = 'Linux servers'; OperatingSystem = 'Linux'; Order = 1; Enabled = $true; IsDefault = $false; Targets = @(); EntropyBits = 93.7 }
}
function New-StubCert {
    [ordered]@{
        Thumbprint = 'F9FCAC264166463C90CA96EC4D07748A97615F60'; Subject = 'CN=stub'; NotBefore = '2026-01-01T00:00:00Z'
        NotAfter = '2046-01-01T00:00:00Z'; KeySize = 3072; State = 'active'; HasPrivateKey = $true; Source = 'generated'
    }
}

function Get-CannedResult([string] $Verb, [string[]] $Arguments) {
    switch ($Verb) {
        'device get' {
            return , @((New-StubDevice 'd-1' 'PC1'), (New-StubDevice 'd-2' 'PC2'))
        }
        'group-members get' {
            return , @((New-StubDevice 'd-1' 'PC1'), (New-StubDevice 'd-2' 'PC2'))
        }
        'device set' { return New-StubDevice 'd-1' 'PC1' }
        'group new' { return New-StubGroup 'g-1' 'Kiosks' }
        'group get' { return , @((New-StubGroup 'g-1' 'Kiosks'), (New-StubGroup 'g-2' 'Servers')) }
        'group set' { return New-StubGroup 'g-1' 'Kiosks' }
        'device-registration-key new' { return New-StubKey 'k-1' 'Key one' }
        'device-registration-key get' { return , @((New-StubKey 'k-1' 'Key one')) }
        'device-registration-key set' { return New-StubKey 'k-1' 'Key one' }
        'local-admin-password get' { return New-StubPassword 'Stub-Pa55word!' $null }
        'access requests get' { return , @((New-StubAccessRequest 'Pending')) }
        'access approve' { return New-StubAccessRequest 'Approved' }
        'access deny' { return New-StubAccessRequest 'Denied' }
        'access get' {
            return [ordered]@{
                Allowed = $true; AccessType = 'LocalAdminPassword'; ComputerName = 'PC1'; DeviceId = 'd-1'
                UserSid = 'S-1-5-21-1-2-3-1104'; MatchedRule = 'r-1'; Password = (New-StubPassword 'Stub-Pa55word!' $null)
            }
        }
        'local-admin-password-history get' {
            return , @((New-StubPassword 'Old-Pa55word-1' '2026-01-02T00:00:00Z'), (New-StubPassword 'Old-Pa55word-2' '2026-01-03T00:00:00Z'))
        }
        'fve-recovery-key get' {
            return , @([ordered]@{
                    ComputerName = 'PC1'; DeviceId = 'd-1'; KeyId = 'b2a7c1de-0000-4000-8000-000000000001'; VolumeType = 'OperatingSystem'
                    RecoveryPassword = '111111-222222-333333-444444-555555-666666-777777-888888'; Created = '2026-01-01T00:00:00Z'; Source = 'Ams'
                })
        }
        'init' {
            $report = [ordered]@{ InstanceId = 'i-1'; DataDir = '/stub'; MasterKeyId = 'mk-1'; SchemaVersion = 2 }
            if ($Arguments -contains '--generate-recovery-password') {
                $report['RecoveryPassword'] = 'generated-recovery-password'
                $report['RecoveryPasswordNotice'] = 'shown once'
            }
            return $report
        }
        'db status' { return [ordered]@{ Engine = 'sqlite'; Database = '/stub/ams.db'; SchemaVersion = 2; TargetVersion = 2; PendingMigrations = @() } }
        'db migrate' { return [ordered]@{ Applied = @(); SchemaVersion = 2; PreMigrationCopy = $null } }
        'key status' { return [ordered]@{ InstanceId = 'i-1'; MasterKeyId = 'mk-1'; HostProtectorOk = $true; RecoveryMode = $false; Protectors = @() } }
        'key recover' { return [ordered]@{ InstanceId = 'i-1'; MasterKeyId = 'mk-1'; HostProtectorOk = $true; RecoveryMode = $false; Protectors = @() } }
        'key rotate' { return [ordered]@{ PreviousMasterKeyId = 'mk-1'; MasterKeyId = 'mk-2' } }
        'key recovery-password set' {
            if ($Arguments -contains '--generate') {
                return [ordered]@{ RecoveryPassword = 'new-generated-recovery-password'; RecoveryPasswordNotice = 'shown once' }
            }
            return [ordered]@{ RecoveryPasswordChanged = $true }
        }
        'cert new' { return New-StubCert }
        'cert list' { return , @((New-StubCert)) }
        'cert activate' { return New-StubCert }
        'audit get' { return , @([ordered]@{ Sequence = 1; Action = 'group.new'; TargetId = 'g-1' }) }
        'commands' { return [ordered]@{ commands = @() } }
        'agent-policy new' { return New-StubPolicy }
        'agent-policy get' { return , @((New-StubPolicy)) }
        'agent-policy set' { return New-StubPolicy }
        'agent-policy move' { return New-StubPolicy }
        'agent-policy resolve' { return [ordered]@{ DeviceId = 'd-1'; Policy = (New-StubPolicy); Reason = 'stub'; Steps = @() } }
        'word-list get' { return , @([ordered]@{ Id = 'eff-large'; Name = 'EFF large wordlist'; WordCount = 7772; BuiltIn = $true }) }
        'word-list new' { return [ordered]@{ Id = 'w-1'; Name = 'German'; WordCount = 2000; BuiltIn = $false } }
        default { return [ordered]@{} }
    }
}

function Get-Failure([string[]] $Values) {
    foreach ($value in $Values) {
        if ($value -match '^fail-([a-z_]+)$') {
            $kind = $Matches[1]
            $code = if ($exitCodes.ContainsKey($kind)) { $exitCodes[$kind] } else { 1 }
            return [ordered]@{
                ExitCode = $code
                Error    = [ordered]@{
                    code    = 'AMS-TST-{0:d4}' -f $code
                    kind    = $kind
                    message = "Stub failure of kind $kind."
                    hint    = "Stub hint for $kind."
                    context = [ordered]@{ value = $value }
                }
            }
        }
    }
    $null
}

function Get-ParameterValue($Parameters) {
    if ($null -eq $Parameters) {
        return
    }
    foreach ($property in $Parameters.PSObject.Properties) {
        foreach ($item in @($property.Value)) {
            if ($item -is [string]) {
                $item
            }
        }
    }
}

$stdout = [Console]::OpenStandardOutput()
$stderr = [Console]::OpenStandardError()

# A canned override for this verb, if the test supplied one.
if ($env:AMS_STUB_RESPONSES -and (Test-Path -LiteralPath $env:AMS_STUB_RESPONSES)) {
    $overrides = Get-Content -LiteralPath $env:AMS_STUB_RESPONSES -Raw | ConvertFrom-Json
    $override = $overrides.PSObject.Properties[$verb]
    if ($null -ne $override) {
        $answer = $override.Value
        if ($null -ne $answer.PSObject.Properties['stdout']) {
            Write-Raw $stdout ((ConvertTo-Json -InputObject $answer.stdout -Depth 10 -Compress) + "`n")
        }
        if ($null -ne $answer.PSObject.Properties['stderr']) {
            Write-Raw $stderr ((ConvertTo-Json -InputObject $answer.stderr -Depth 10 -Compress) + "`n")
        }
        if ($null -ne $answer.PSObject.Properties['rawStdout']) {
            Write-Raw $stdout ([string]$answer.rawStdout)
        }
        if ($null -ne $answer.PSObject.Properties['rawStderr']) {
            Write-Raw $stderr ([string]$answer.rawStderr)
        }
        $code = 0
        if ($null -ne $answer.PSObject.Properties['exitCode']) {
            $code = [int]$answer.exitCode
        }
        exit $code
    }
}

if ($verb -eq 'batch') {
    $firstFailure = 0
    $index = 0
    foreach ($requestLine in ($stdin -split "`n")) {
        if ([string]::IsNullOrWhiteSpace($requestLine)) {
            $index++
            continue
        }
        $request = $requestLine | ConvertFrom-Json -DateKind String
        $failure = Get-Failure -Values @(Get-ParameterValue $request.parameters)
        if ($null -ne $failure) {
            if ($firstFailure -eq 0) {
                $firstFailure = $failure.ExitCode
            }
            $response = [ordered]@{ index = $index; ok = $false; error = $failure.Error }
        }
        else {
            $result = Get-CannedResult -Verb $request.verb -Arguments @()
            $response = [ordered]@{ index = $index; ok = $true; result = $result }
        }
        Write-Raw $stdout ((ConvertTo-Json -InputObject $response -Depth 10 -Compress) + "`n")
        $index++
    }
    if ($firstFailure -ne 0) {
        Write-Raw $stderr ('{"error":{"code":"AMS-TST-0000","kind":"not_found","message":"At least one batch request failed."}}' + "`n")
    }
    exit $firstFailure
}

$failure = Get-Failure -Values $argv
if ($null -ne $failure) {
    Write-Raw $stderr ((ConvertTo-Json -InputObject ([ordered]@{ error = $failure.Error }) -Depth 10 -Compress) + "`n")
    exit $failure.ExitCode
}

$result = Get-CannedResult -Verb $verb -Arguments $argv
Write-Raw $stdout ((ConvertTo-Json -InputObject $result -Depth 10) + "`n")
exit 0
