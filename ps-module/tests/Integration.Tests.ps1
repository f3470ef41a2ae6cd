#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Integration tests against the real ams binary and a fresh data directory.
# The binary is $env:AMS_TEST_BINARY, else target/debug/ams(.exe) of the workspace; without one the
# tests are skipped. Run with: Invoke-Pester -Path ps-module/tests -TagFilter Integration

BeforeDiscovery {
    $binary = $env:AMS_TEST_BINARY
    if (-not $binary) {
        $name = if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { 'ams.exe' } else { 'ams' }
        $binary = [System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', $name)
    }
    $script:NoBinary = -not (Test-Path -LiteralPath $binary -PathType Leaf)
}

Describe 'AccessManager against the real ams' -Tag 'Integration' -Skip:$script:NoBinary {
    BeforeAll {
        . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
        Import-AmsTestModule

        $binary = $env:AMS_TEST_BINARY
        if (-not $binary) {
            $name = if ([System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT) { 'ams.exe' } else { 'ams' }
            $binary = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..', 'target', 'debug', $name))
        }
        $saved = @{ Cli = $env:AMS_CLI_PATH; Data = $env:AMS_DATA_DIR }
        $env:AMS_CLI_PATH = $binary
        $dataDir = Join-Path ([System.IO.Path]::GetTempPath()) "ams-pester-$([guid]::NewGuid().ToString('n'))"
        $env:AMS_DATA_DIR = $dataDir

        function Invoke-RawAms {
            # Runs the binary directly, for the agent side that the module does not wrap.
            param([string[]] $Arguments, [string] $InputText)
            $info = [System.Diagnostics.ProcessStartInfo]::new($binary)
            if ($null -ne $info.PSObject.Properties['ArgumentList']) {
                foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
            }
            else {
                # Windows PowerShell 5.1: these arguments hold no spaces or quotes.
                $info.Arguments = $Arguments -join ' '
            }
            $info.RedirectStandardInput = $true
            $info.RedirectStandardOutput = $true
            $info.RedirectStandardError = $true
            $info.UseShellExecute = $false
            $process = [System.Diagnostics.Process]::Start($info)
            $process.StandardInput.Write($InputText)
            $process.StandardInput.Close()
            $out = $process.StandardOutput.ReadToEnd()
            $null = $process.StandardError.ReadToEnd()
            $process.WaitForExit()
            $process.ExitCode | Should -Be 0
            $out | ConvertFrom-Json
        }
    }

    AfterAll {
        $env:AMS_CLI_PATH = $saved.Cli
        $env:AMS_DATA_DIR = $saved.Data
        if (Test-Path -LiteralPath $dataDir) {
            Remove-Item -LiteralPath $dataDir -Recurse -Force
        }
    }

    It 'reports a missing instance as ObjectNotFound with the ams code and hint' {
        Get-AmsMasterKeyStatus -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures.Count | Should -Be 1
        $failures[0].FullyQualifiedErrorId | Should -BeLike 'AMS-CFG-0001*'
        $failures[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'creates an instance with a generated recovery password' {
        $report = Initialize-AmsInstance -GenerateRecoveryPassword -Confirm:$false
        $report.RecoveryPassword | Should -BeOfType ([System.Security.SecureString])
        $script:RecoveryPassword = $report.RecoveryPassword
        (Get-AmsMasterKeyStatus).RecoveryMode | Should -BeFalse
        (Get-AmsDatabaseStatus).SchemaVersion | Should -BeGreaterThan 0
    }

    It 'manages groups, including errors and pipelines' {
        $group = New-AmsGroup -Name 'Pester kiosks' -Description 'made by Pester'
        $group.PSTypeNames[0] | Should -BeExactly 'Ams.Group'
        (Get-AmsGroup -Id $group.Id).Name | Should -BeExactly 'Pester kiosks'

        $many = 1..30 | ForEach-Object { New-AmsGroup -Name "Pester bulk $_" }
        $renamed = @($many | Set-AmsGroup -Description 'bulk')
        $renamed.Count | Should -Be 30
        ($renamed | Where-Object Description -NE 'bulk') | Should -BeNullOrEmpty
        $many | Remove-AmsGroup -Force
        @(Get-AmsGroup | Where-Object Name -Like 'Pester bulk*').Count | Should -Be 0

        Get-AmsGroup -Id ([guid]::NewGuid().ToString()) -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        { New-AmsGroup -Name 'Pester kiosks' -ErrorAction Stop } | Should -Throw
    }

    It 'registers a device, approves it and reads its password as a SecureString' {
        $null = New-AmsEncryptionCertificate -KeySize 3072 -Activate -Confirm:$false
        (Get-AmsEncryptionCertificate | Where-Object IsActive) | Should -Not -BeNullOrEmpty

        $key = New-AmsDeviceRegistrationKey -Name 'Pester key' -ApprovalRequired
        $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', 'PESTER1', '--os', 'linux' -InputText $key.Key
        $device = Get-AmsDevice -Name 'PESTER1'
        $device.ApprovalState | Should -BeExactly 'Pending'
        $device = $device | Set-AmsDevice -Approve
        $device.ApprovalState | Should -BeExactly 'Approved'

        $null = Invoke-RawAms -Arguments 'agent', 'submit-password', '--device-id', $registered.DeviceId -InputText 'Pester-Pa55word!'
        $password = $device | Get-AmsLocalAdminPassword
        $password.Password | Should -BeOfType ([System.Security.SecureString])
        (Get-AmsLocalAdminPassword -ComputerName 'PESTER1' -AsPlainText).Password | Should -BeExactly 'Pester-Pa55word!'

        $group = Get-AmsGroup -Name 'Pester kiosks'
        $group | Add-AmsGroupMember -Devices $device
        @($group | Get-AmsGroupMembers).Id | Should -Contain $device.Id
        $group | Remove-AmsGroupMember -Devices $device -Force
        @($group | Get-AmsGroupMembers).Count | Should -Be 0

        $device | Remove-AmsDevice -Force
        @(Get-AmsDevice -Name 'PESTER1' -ErrorAction SilentlyContinue).Count | Should -Be 0
    }

    It 'manages agent policies and word lists and resolves a device' {
        $key = New-AmsDeviceRegistrationKey -Name 'Pester policy key'
        $registered = Invoke-RawAms -Arguments 'agent', 'register', '--name', 'PESTERPOL', '--os', 'linux' -InputText $key.Key
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Default Linux policy'

        $policy = New-AmsAgentPolicy -Name 'Pester Linux' -Os linux -TargetDevice $registered.DeviceId -Settings @{ PasswordMaximumAgeDays = 5; Password = @{ Length = 24 } }
        $policy.PSTypeNames[0] | Should -BeExactly 'Ams.AgentPolicy'
        $policy.Settings.Password.Length | Should -Be 24
        $resolved = Get-AmsDevice -Name 'PESTERPOL' | Resolve-AmsAgentPolicy
        $resolved.Policy.PolicyName | Should -BeExactly 'Pester Linux'
        $resolved.Policy.PasswordMaximumAgeDays | Should -Be 5

        $second = New-AmsAgentPolicy -Name 'Pester second' -Os linux -TargetGroup 'S-1-4096-2-5' -Settings '{"GenerationMode":"Passphrase"}'
        ($second | Move-AmsAgentPolicy -Position 1).Order | Should -Be 1
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Pester second'
        $null = $second | Set-AmsAgentPolicy -Disable
        (Resolve-AmsAgentPolicy -DeviceId $registered.DeviceId).Policy.PolicyName | Should -BeExactly 'Pester Linux'
        { Set-AmsAgentPolicy -Id $policy.Id -Settings @{ Password = @{ Length = 8; UpperCase = $false; Digits = $false } } -ErrorAction Stop } | Should -Throw '*bits of entropy*'

        $file = Join-Path $TestDrive 'words.txt'
        $words = foreach ($i in 1..2100) { 'p' + (-join ([char[]]([convert]::ToString($i, 2).Replace('0', 'a').Replace('1', 'b')))) }
        Set-Content -LiteralPath $file -Value $words -Encoding ascii
        $list = New-AmsWordList -Name 'Pester words' -File $file
        $list.WordCount | Should -Be 2100
        @(Get-AmsWordList).Count | Should -Be 2
        $list | Remove-AmsWordList -Force
        @(Get-AmsWordList).Count | Should -Be 1

        Get-AmsAgentPolicy -Os linux | Where-Object { -not $_.IsDefault } | Remove-AmsAgentPolicy -Force
        @(Get-AmsAgentPolicy -Os linux).Count | Should -Be 1
        Get-AmsDevice -Name 'PESTERPOL' | Remove-AmsDevice -Force
    }

    It 'rotates the master key with the recovery password on stdin' {
        $before = (Get-AmsMasterKeyStatus).MasterKeyId
        $result = Update-AmsMasterKey -RecoveryPassword $script:RecoveryPassword -Force
        $result.MasterKeyId | Should -Not -BeExactly $before
    }
}
