#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsLocalAdminPasswordHistory, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsLocalAdminPasswordHistory' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the computer-name (default) and device-authority parameter sets, without -AllProviders' {
        $command = Get-Command -Name Get-AmsLocalAdminPasswordHistory -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'Get password by computer name'
        $command.Parameters.ContainsKey('AllProviders') | Should -BeFalse
        (Get-AmsParameterSet Get-AmsLocalAdminPasswordHistory AuthorityType 'Get password by device authority information').ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'returns each earlier password as a SecureString' {
        $history = @(Get-AmsLocalAdminPasswordHistory -ComputerName 'PC1')
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password-history get --computer-name PC1'
        $history.Count | Should -Be 2
        $history | ForEach-Object { $_.Password | Should -BeOfType ([System.Security.SecureString]) }
    }

    It 'returns text with -AsPlainText' {
        $history = @(Get-AmsLocalAdminPasswordHistory -ComputerName 'PC1' -AsPlainText)
        $history[0].Password | Should -BeExactly 'Old-Pa55word-1'
    }
    It 'binds piped names and objects with a ComputerName, Name or DNSHostName' {
        $null = 'PC1' | Get-AmsLocalAdminPasswordHistory
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password-history get --computer-name PC1'
        Reset-AmsStubLog
        $null = [pscustomobject]@{ DNSHostName = 'pc2.dev.example' } | Get-AmsLocalAdminPasswordHistory
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password-history get --computer-name pc2.dev.example'
        Reset-AmsStubLog
        $null = [pscustomobject]@{ Name = 'PC3'; AuthorityType = 'Ams'; AuthorityId = 'a-1'; AuthorityDeviceId = 'd-3' } | Get-AmsLocalAdminPasswordHistory
        (Get-AmsStubCall).Line | Should -BeExactly 'local-admin-password-history get --authority-device-id d-3 --authority-id a-1 --authority-type Ams'
    }
}
