#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsFveRecoveryKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsFveRecoveryKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the computer-name (default) and device-authority parameter sets' {
        $command = Get-Command -Name Get-AmsFveRecoveryKey -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'Get full-volume encryption keys by computer name'
        (Get-AmsParameterSet Get-AmsFveRecoveryKey AuthorityId 'Get full-volume encryption keys by device authority information').IsMandatory | Should -BeTrue
    }

    It 'returns the recovery password as a SecureString by default' {
        $key = Get-AmsFveRecoveryKey -ComputerName 'PC1'
        (Get-AmsStubCall).Line | Should -BeExactly 'fve-recovery-key get --computer-name PC1'
        $key.PSTypeNames[0] | Should -BeExactly 'Ams.FveRecoveryKey'
        $key.RecoveryPassword | Should -BeOfType ([System.Security.SecureString])
    }

    It 'returns text with -AsPlainText' {
        $key = Get-AmsFveRecoveryKey -ComputerName 'PC1' -AsPlainText
        $key.RecoveryPassword | Should -BeExactly '111111-222222-333333-444444-555555-666666-777777-888888'
    }

    It 'reads piped devices in one batch' {
        $devices = @(Get-AmsDevice)
        Reset-AmsStubLog
        $keys = @($devices | Get-AmsFveRecoveryKey)
        $keys.Count | Should -Be 2
        (Get-AmsStubCall).Line | Should -BeExactly 'batch'
    }
    It 'binds piped names and objects with a ComputerName, Name or DNSHostName' {
        $null = 'PC1' | Get-AmsFveRecoveryKey
        (Get-AmsStubCall).Line | Should -BeExactly 'fve-recovery-key get --computer-name PC1'
        Reset-AmsStubLog
        $null = [pscustomobject]@{ DNSHostName = 'pc2.dev.example' } | Get-AmsFveRecoveryKey
        (Get-AmsStubCall).Line | Should -BeExactly 'fve-recovery-key get --computer-name pc2.dev.example'
        Reset-AmsStubLog
        $null = [pscustomobject]@{ Name = 'PC3'; AuthorityType = 'Ams'; AuthorityId = 'a-1'; AuthorityDeviceId = 'd-3' } | Get-AmsFveRecoveryKey
        (Get-AmsStubCall).Line | Should -BeExactly 'fve-recovery-key get --authority-device-id d-3 --authority-id a-1 --authority-type Ams'
    }
}
