#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsActiveDirectoryJitOptions, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsActiveDirectoryJitOptions' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'reads the options typed as Ams.JitOptions' {
        $options = Get-AmsActiveDirectoryJitOptions
        (Get-AmsStubCall).Line | Should -BeExactly 'active-directory-jit-options get'
        $options.PSTypeNames[0] | Should -BeExactly 'Ams.JitOptions'
    }
}
