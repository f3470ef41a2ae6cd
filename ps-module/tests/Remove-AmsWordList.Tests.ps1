#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsWordList, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsWordList' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal' {
        Get-AmsConfirmImpact Remove-AmsWordList | Should -BeExactly 'High'
    }

    It 'removes after -Force without a --force flag' {
        Remove-AmsWordList -Id 'w-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'word-list remove --id w-1'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsWordList -Id 'w-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
