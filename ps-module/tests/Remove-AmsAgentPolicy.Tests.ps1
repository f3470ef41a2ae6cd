#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal' {
        Get-AmsConfirmImpact Remove-AmsAgentPolicy | Should -BeExactly 'High'
    }

    It 'removes with --force after -Force' {
        Remove-AmsAgentPolicy -Id 'p-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy remove --id p-1 --force'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsAgentPolicy -Id 'p-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
