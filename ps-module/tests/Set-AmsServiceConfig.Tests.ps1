#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsServiceConfig, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsServiceConfig' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'passes the upstream parameters, lists as repeated flags' {
        $config = Set-AmsServiceConfig -FarmApiHostName 'api.example.com' -FarmApiPort 8443 -ForestsToIgnore 'a.example', 'b.example'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'service-config|set|--farm-api-host-name|api.example.com|--farm-api-port|8443|--forests-to-ignore|a.example|--forests-to-ignore|b.example'
        $config.PSTypeNames[0] | Should -BeExactly 'Ams.ServiceConfig'
    }

    It 'clears a list with an empty array and a host name with an empty string' {
        $null = Set-AmsServiceConfig -DomainsToIgnore @() -FarmWebAppHostName ''
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'service-config|set|--farm-web-app-host-name||--domains-to-ignore|'
    }

    It 'turns -Setting hashtables into --setting NAME=VALUE' {
        $null = Set-AmsServiceConfig -Setting @{ PasswordMaximumAgeDays = 60 }, @{ ForestsToIgnore = 'x.example', 'y.example' }
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'service-config|set|--setting|PasswordMaximumAgeDays=60|--setting|ForestsToIgnore=x.example,y.example'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsServiceConfig -FarmApiPort 444 -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
