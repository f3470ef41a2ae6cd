#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'sends only the bound parameters, settings as JSON' {
        $null = Set-AmsAgentPolicy -Id 'p-1' -Settings @{ Password = @{ Length = 24 } } -Enable
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy set --id p-1 --enable --settings {"Password":{"Length":24}}'
    }

    It 'replaces or clears targets' {
        $null = Set-AmsAgentPolicy -Id 'p-1' -TargetDevice 'd-1', 'd-2'
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy set --id p-1 --target-device d-1 --target-device d-2'
        Reset-AmsStubLog
        $null = Set-AmsAgentPolicy -Id 'p-1' -ClearTargets
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy set --id p-1 --clear-targets'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsAgentPolicy -Id 'p-1' -Disable -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
