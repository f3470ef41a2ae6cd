#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsMasterKeyStatus, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsMasterKeyStatus' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs key status' {
        $status = Get-AmsMasterKeyStatus
        (Get-AmsStubCall).Line | Should -BeExactly 'key status'
        $status.PSTypeNames[0] | Should -BeExactly 'Ams.MasterKeyStatus'
        $status.RecoveryMode | Should -BeFalse
    }
}
