#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Resolve-AmsAgentPolicy, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Resolve-AmsAgentPolicy' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'resolves a device by id' {
        (Resolve-AmsAgentPolicy -DeviceId 'd-1').PSTypeNames[0] | Should -BeExactly 'Ams.AgentPolicyResolution'
        (Get-AmsStubCall).Line | Should -BeExactly 'agent-policy resolve --device-id d-1'
    }

    It 'takes devices from the pipeline by their Id' {
        $null = Get-AmsDevice | Resolve-AmsAgentPolicy
        $calls = @(Get-AmsStubCall)
        $calls[-1].Line | Should -BeExactly 'batch'
        ($calls[-1].StdinLines[0] | ConvertFrom-Json).parameters.DeviceId | Should -BeExactly 'd-1'
    }
}
