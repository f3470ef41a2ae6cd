#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsRoleAuthorizationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsRoleAuthorizationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'finds a role by name' {
        $null = Get-AmsRoleAuthorizationRule -Name 'My custom role'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'role-authorization-rule|get|--name|My custom role'
    }

    It 'does not take -Name and -Id together' {
        { Get-AmsRoleAuthorizationRule -Name 'x' -Id 'y' } | Should -Throw
    }
}
