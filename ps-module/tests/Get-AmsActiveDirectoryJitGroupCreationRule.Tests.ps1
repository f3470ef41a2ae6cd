#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsActiveDirectoryJitGroupCreationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsActiveDirectoryJitGroupCreationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists every rule without -Id' {
        $null = Get-AmsActiveDirectoryJitGroupCreationRule
        (Get-AmsStubCall).Line | Should -BeExactly 'active-directory-jit-group-creation-rule get'
    }

    It 'gets one rule by -Id' {
        $null = Get-AmsActiveDirectoryJitGroupCreationRule -Id 'r-1'
        (Get-AmsStubCall).Line | Should -BeExactly 'active-directory-jit-group-creation-rule get --id r-1'
    }
}
