#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'lists every policy with no parameters, or those of one OS' {
        $null = Get-AmsAgentPolicy
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy get'
        Reset-AmsStubLog
        $null = Get-AmsAgentPolicy -Os linux
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy get --os linux'
    }

    It 'finds by name, and reads piped ids in one batch' {
        $null = Get-AmsAgentPolicy -Name 'Finance'
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy get --name Finance'
        Reset-AmsStubLog
        $null = 'p-1', 'p-2' | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Get-AmsAgentPolicy
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        ($call.StdinLines[1] | ConvertFrom-Json).parameters.Id | Should -BeExactly 'p-2'
    }
}
