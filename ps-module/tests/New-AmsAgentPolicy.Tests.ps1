#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'creates a policy with targets and settings given as a hashtable' {
        $null = New-AmsAgentPolicy -Name 'Linux servers' -Os linux -TargetGroup 'S-1-4096-2-5', 'g-1' -Settings @{ PasswordMaximumAgeDays = 7 }
        $call = Get-AmsStubCall
        $call.Argv[0..5] -join ' ' | Should -BeExactly 'agent-policy new --name Linux servers --os linux'
        $call.Line | Should -Match '--settings \{"PasswordMaximumAgeDays":7\}'
        $call.Line | Should -Match '--target-group S-1-4096-2-5 --target-group g-1'
    }

    It 'passes JSON text and switches as they are' {
        $null = New-AmsAgentPolicy -Name 'p' -Os windows -Settings '{"CheckInIntervalMinutes":30}' -Disable
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy new --name p --os windows --disable --settings {"CheckInIntervalMinutes":30}'
    }

    It 'types its output and honours -WhatIf' {
        (New-AmsAgentPolicy -Name 'p' -Os macos).PSTypeNames[0] | Should -BeExactly 'Ams.AgentPolicy'
        Reset-AmsStubLog
        New-AmsAgentPolicy -Name 'p' -Os macos -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
