#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of the private wrapper: argv building and quoting, locating ams, error records,
# secrets on stdin, batching, encodings. Runs against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Building arguments' {
    It 'turns <Name> into <Flag>' -TestCases @(
        @{ Name = 'Id'; Flag = '--id' }
        @{ Name = 'ComputerName'; Flag = '--computer-name' }
        @{ Name = 'AuthorityDeviceId'; Flag = '--authority-device-id' }
        @{ Name = 'ApprovalNotRequired'; Flag = '--approval-not-required' }
        @{ Name = 'GenerateRecoveryPassword'; Flag = '--generate-recovery-password' }
    ) {
        InModuleScope AccessManager -Parameters @{ Name = $Name } {
            ConvertTo-AmsFlagName -Name $Name
        } | Should -BeExactly $Flag
    }

    It 'writes switches as bare flags, repeats arrays and leaves out cleared switches and nulls' {
        $argv = InModuleScope AccessManager {
            $parameters = [ordered]@{
                Id       = 'g-1'
                Devices  = @('d-1', 'd-2')
                Force    = [switch]$true
                Disable  = [switch]$false
                Approve  = $false
                Limit    = 5
                Name     = $null
            }
            @(ConvertTo-AmsArgument -Parameters $parameters)
        }
        ($argv -join ' ') | Should -BeExactly '--id g-1 --devices d-1 --devices d-2 --force --limit 5'
    }

    It 'attaches a value that starts with a dash with =' {
        $argv = InModuleScope AccessManager { @(ConvertTo-AmsArgument -Parameters ([ordered]@{ Name = '-odd' })) }
        ($argv -join ' ') | Should -BeExactly '--name=-odd'
    }

    It 'writes batch parameters with booleans, numbers and string arrays' {
        $json = InModuleScope AccessManager {
            $parameters = [ordered]@{ Id = 'g-1'; Devices = @('d-1'); Force = [switch]$true; Limit = 3 }
            ConvertTo-Json -InputObject (ConvertTo-AmsBatchParameter -Parameters $parameters) -Compress
        }
        $json | Should -BeExactly '{"Id":"g-1","Devices":["d-1"],"Force":true,"Limit":3}'
    }

    It 'quotes <Arguments> for Windows PowerShell as <Expected>' -TestCases @(
        @{ Arguments = @('plain'); Expected = 'plain' }
        @{ Arguments = @('two words'); Expected = '"two words"' }
        @{ Arguments = @(''); Expected = '""' }
        @{ Arguments = @('say "hi"'); Expected = '"say \"hi\""' }
        @{ Arguments = @('C:\dir\'); Expected = 'C:\dir\' }
        @{ Arguments = @('C:\my dir\'); Expected = '"C:\my dir\\"' }
        @{ Arguments = @('a\"b'); Expected = '"a\\\"b"' }
        @{ Arguments = @('--name', 'x y'); Expected = '--name "x y"' }
    ) {
        InModuleScope AccessManager -Parameters @{ A = $Arguments } {
            ConvertTo-AmsCommandLine -ArgumentList $A
        } | Should -BeExactly $Expected
    }
}

Describe 'Running ams' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'always asks for JSON output first' {
        $null = Get-AmsGroup
        $call = Get-AmsStubCall
        ($call.Global -join ' ') | Should -BeExactly '--output json'
        $call.Line | Should -BeExactly 'group get'
    }

    It 'keeps arguments with spaces, quotes and non-ASCII text intact' {
        # Non-ASCII built from code points, so this file stays ASCII for Windows PowerShell 5.1.
        $name = "B$([char]0xFC)cher `"and`" K$([char]0xE4)sten $([char]0x2603) \ end\"
        $null = Get-AmsGroup -Name $name
        $call = Get-AmsStubCall
        $call.Argv.Count | Should -Be 4
        $call.Argv[3] | Should -BeExactly $name
    }

    It 'sends an empty, closed stdin when there is no secret' {
        $null = Get-AmsGroup
        (Get-AmsStubCall).Stdin | Should -BeExactly ''
    }

    It 'writes secrets to stdin as UTF-8 and never to argv' {
        $secret = "T$([char]0xF8)p-Secret $([char]0x20AC)42 `"quoted`""
        $null = Initialize-AmsInstance -RecoveryPassword (New-AmsTestSecureString $secret) -Confirm:$false
        $call = Get-AmsStubCall
        $call.Stdin | Should -BeExactly ($secret + "`n")
        ($call.Argv -join "`n") | Should -Not -Match ([regex]::Escape('Secret'))
        $call.Line | Should -BeExactly 'init'
    }

    It 'does not write argv or secrets to the verbose stream' {
        $verbose = Get-AmsGroup -Name 'VerboseCanary42' -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        @($verbose).Count | Should -BeGreaterThan 0
        ($verbose | ForEach-Object { $_.Message }) -join "`n" | Should -Not -Match 'VerboseCanary42'

        $verbose = Restore-AmsMasterKey -RecoveryPassword (New-AmsTestSecureString 'SecretCanary42') -Force -Verbose 4>&1 |
            Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        ($verbose | ForEach-Object { $_.Message }) -join "`n" | Should -Not -Match 'SecretCanary42'
    }

    It 'turns output that is not JSON into a terminating AmsCliBadOutput error' {
        Set-AmsStubResponse -Verb 'group get' -Response @{ exitCode = 0; rawStdout = 'this is not json' }
        $caught = $null
        try {
            Get-AmsGroup -ErrorAction SilentlyContinue
        }
        catch {
            $caught = $_
        }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'AmsCliBadOutput*'
    }

    It 'reports a failure whose stderr is not JSON as AmsCliFailed with the exit code' {
        Set-AmsStubResponse -Verb 'group get' -Response @{ exitCode = 7; rawStderr = 'disk on fire' }
        Get-AmsGroup -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AmsCliFailed*'
        $failures[0].Exception.Message | Should -Match 'exit code 7'
        $failures[0].Exception.Message | Should -Match 'disk on fire'
    }

    It 'puts positional values last, after --, and leaves them out when there are none' {
        $null = InModuleScope AccessManager {
            # An advanced script block, so that there is a $PSCmdlet to report errors on.
            & {
                [CmdletBinding()]
                param()
                $secret = ConvertTo-AmsSecureString -Text 'PositionalCanary42'
                Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db verify' -Parameters ([ordered]@{ RecoveryPasswordStdin = $true }) -Positional @('-odd file.amsbak') -Secret $secret
            }
        }
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('db', 'verify', '--recovery-password-stdin', '--', '-odd file.amsbak')
        $call.Stdin | Should -BeExactly "PositionalCanary42`n"

        Reset-AmsStubLog
        $null = InModuleScope AccessManager {
            & {
                [CmdletBinding()]
                param()
                Invoke-AmsVerb -Caller $PSCmdlet -Verb 'db status' -Parameters ([ordered]@{}) -Positional @()
            }
        }
        (Get-AmsStubCall).Argv | Should -Be @('db', 'status')
    }
}

Describe 'Locating ams' {
    BeforeEach {
        $savedPath = $env:PATH
        $savedCli = $env:AMS_CLI_PATH
    }
    AfterEach {
        $env:PATH = $savedPath
        $env:AMS_CLI_PATH = $savedCli
    }

    It 'stops with AmsCliNotFound when AMS_CLI_PATH names a missing file' {
        $env:AMS_CLI_PATH = Join-Path ([System.IO.Path]::GetTempPath()) 'no-such-ams-binary'
        $caught = $null
        try { Get-AmsGroup } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'AmsCliNotFound*'
        $caught.Exception.Message | Should -Match 'AMS_CLI_PATH'
        $caught.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'stops with an error naming AMS_CLI_PATH and PATH when ams is nowhere' {
        $env:AMS_CLI_PATH = $null
        $empty = Join-Path ([System.IO.Path]::GetTempPath()) "ams-empty-$([guid]::NewGuid().ToString('n'))"
        New-Item -ItemType Directory -Path $empty | Out-Null
        $env:PATH = $empty
        $caught = $null
        try { Get-AmsGroup -ErrorAction SilentlyContinue } catch { $caught = $_ }
        Remove-Item -LiteralPath $empty -Force
        $caught.FullyQualifiedErrorId | Should -BeLike 'AmsCliNotFound*'
        $caught.Exception.Message | Should -Match 'AMS_CLI_PATH'
        $caught.Exception.Message | Should -Match 'PATH'
    }
}

Describe 'Error records' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'maps kind <Kind> to category <Category>' -TestCases @(
        @{ Kind = 'not_found'; Category = 'ObjectNotFound' }
        @{ Kind = 'conflict'; Category = 'ResourceExists' }
        @{ Kind = 'invalid_input'; Category = 'InvalidArgument' }
        @{ Kind = 'usage'; Category = 'InvalidArgument' }
        @{ Kind = 'permission_denied'; Category = 'PermissionDenied' }
        @{ Kind = 'unavailable'; Category = 'ResourceUnavailable' }
        @{ Kind = 'schema_version'; Category = 'InvalidOperation' }
        @{ Kind = 'integrity'; Category = 'InvalidData' }
        @{ Kind = 'config'; Category = 'InvalidOperation' }
        @{ Kind = 'internal'; Category = 'NotSpecified' }
    ) {
        InModuleScope AccessManager -Parameters @{ K = $Kind } { [string](Get-AmsErrorCategory -Kind $K) } |
            Should -BeExactly $Category
    }

    It 'carries the code, category, hint and exit code of an ams error' {
        Get-AmsGroup -Id 'fail-not_found' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $record = $failures[0]
        $record.FullyQualifiedErrorId.Split(',')[0] | Should -BeExactly 'AMS-TST-0003'
        $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $record.CategoryInfo.Reason | Should -BeExactly 'not_found'
        $record.ErrorDetails.RecommendedAction | Should -BeExactly 'Stub hint for not_found.'
        $record.Exception.Message | Should -BeExactly 'Stub failure of kind not_found.'
        $record.Exception.Data['AmsExitCode'] | Should -Be 3
        $record.Exception | Should -BeOfType ([System.Management.Automation.ItemNotFoundException])
    }

    It 'is non-terminating, so -ErrorAction Stop makes it throw and SilentlyContinue hides it' {
        { Get-AmsGroup -Id 'fail-not_found' -ErrorAction Stop } | Should -Throw -ErrorId 'AMS-TST-0003*'
        { Get-AmsGroup -Id 'fail-not_found' -ErrorAction SilentlyContinue } | Should -Not -Throw
        $output = Get-AmsGroup -Id 'fail-permission_denied' -ErrorAction SilentlyContinue
        $output | Should -BeNullOrEmpty
    }

    It 'is terminating for <Kind>, which no other object could avoid' -TestCases @(
        @{ Kind = 'config' }
        @{ Kind = 'usage' }
        @{ Kind = 'schema_version' }
    ) {
        { Get-AmsGroup -Id "fail-$Kind" -ErrorAction SilentlyContinue } | Should -Throw
    }

    It 'names the piped object that failed and carries on with the others' {
        $ids = 'g-1', 'fail-not_found', 'g-3'
        $results = @($ids | ForEach-Object { [pscustomobject]@{ Id = $_ } } |
                Set-AmsGroup -Name 'Renamed' -Confirm:$false -ErrorAction SilentlyContinue -ErrorVariable failures)
        $results.Count | Should -Be 2
        $failures.Count | Should -Be 1
        $failures[0].TargetObject | Should -BeExactly 'fail-not_found'
        @(Get-AmsStubCall).Count | Should -Be 1
    }
}

Describe 'Batching piped objects' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'sends 1,000 piped devices through one batch run' {
        1..1000 | ForEach-Object { [pscustomobject]@{ Id = "d-$_" } } | Remove-AmsDevice -Force
        $calls = @(Get-AmsStubCall)
        $calls.Count | Should -Be 1
        $calls[0].Line | Should -BeExactly 'batch'
        $calls[0].StdinLines.Count | Should -Be 1000
        $first = $calls[0].StdinLines[0] | ConvertFrom-Json
        $first.verb | Should -BeExactly 'device remove'
        $first.parameters.Id | Should -BeExactly 'd-1'
        $first.parameters.Force | Should -BeTrue
        ($calls[0].StdinLines[-1] | ConvertFrom-Json).parameters.Id | Should -BeExactly 'd-1000'
    }

    It 'splits a longer pipeline into batch runs of 5,000' {
        1..5001 | ForEach-Object { [pscustomobject]@{ Id = "d-$_" } } | Set-AmsDevice -Disable
        $calls = @(Get-AmsStubCall)
        $calls.Count | Should -Be 2
        $calls[0].StdinLines.Count | Should -Be 5000
        $calls[1].Line | Should -BeExactly 'device set --id d-5001 --disable'
    }

    It 'runs a single piped object as a plain command line' {
        [pscustomobject]@{ Id = 'd-1' } | Remove-AmsDevice -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'device remove --id d-1 --force'
    }

    It 'returns batch results in input order with their type names' {
        $devices = @(1..3 | ForEach-Object { [pscustomobject]@{ Id = "g-$_" } } | Get-AmsGroupMembers)
        $devices.Count | Should -Be 6
        $devices | ForEach-Object { $_.PSTypeNames[0] | Should -BeExactly 'Ams.Device' }
        @(Get-AmsStubCall).Count | Should -Be 1
    }
}
