#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsDeviceRegistrationKeyGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsDeviceRegistrationKeyGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal' {
        Get-AmsConfirmImpact Remove-AmsDeviceRegistrationKeyGroup | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsDeviceRegistrationKeyGroup Groups).IsMandatory | Should -BeTrue
    }

    It 'detaches groups; -Force only skips the prompt and is not passed on' {
        Remove-AmsDeviceRegistrationKeyGroup -Id 'k-1' -Groups 'g-1', 'g-2' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key-group remove --id k-1 --groups g-1 --groups g-2'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsDeviceRegistrationKeyGroup -Id 'k-1' -Groups 'g-1' -Force -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
