#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsActiveDirectoryJitGroupCreationRule, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsActiveDirectoryJitGroupCreationRule' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal with -Force' {
        Get-AmsConfirmImpact Remove-AmsActiveDirectoryJitGroupCreationRule | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsActiveDirectoryJitGroupCreationRule Id).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'removes with --force after -Force' {
        $null = Remove-AmsActiveDirectoryJitGroupCreationRule -Id 'r-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'active-directory-jit-group-creation-rule remove --id r-1 --force'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsActiveDirectoryJitGroupCreationRule -Id 'r-1' -Force -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
