#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsHostConfig, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsHostConfig' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs host-config get' {
        Set-AmsStubResponse -Verb 'host-config get' -Response @{ stdout = @{ ConnectionString = 'sqlite://ams.db'; HttpsPort = 443 } }
        $config = Get-AmsHostConfig
        (Get-AmsStubCall).Line | Should -BeExactly 'host-config get'
        $config.PSTypeNames[0] | Should -BeExactly 'Ams.HostConfig'
        $config.HttpsPort | Should -Be 443
    }
}
