#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsServiceConfig, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsServiceConfig' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs service-config get' {
        Set-AmsStubResponse -Verb 'service-config get' -Response @{ stdout = @{ FarmApiPort = 443; Settings = @(@{ Name = 'FarmApiPort'; IsDefault = $true }) } }
        $config = Get-AmsServiceConfig
        (Get-AmsStubCall).Line | Should -BeExactly 'service-config get'
        $config.PSTypeNames[0] | Should -BeExactly 'Ams.ServiceConfig'
        $config.Settings[0].Name | Should -BeExactly 'FarmApiPort'
    }
}
