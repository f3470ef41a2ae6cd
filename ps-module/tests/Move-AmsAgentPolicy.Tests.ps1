#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Move-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Move-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'moves a policy to a position' {
        $null = [pscustomobject]@{ Id = 'p-1' } | Move-AmsAgentPolicy -Position 2
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy move --id p-1 --position 2'
    }

    It 'refuses a position below 1 without running ams' {
        { Move-AmsAgentPolicy -Id 'p-1' -Position 0 } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
