#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsComputerAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsComputerAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists every rule without -Id' {
        $null = Get-AmsComputerAuthorizationRule
        (Get-AmsStubCall).Line | Should -BeExactly 'computer-authorization-rule get'
    }

    It 'passes -Id' {
        $null = Get-AmsComputerAuthorizationRule -Id 'r-1'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'computer-authorization-rule|get|--id|r-1'
    }
}
