#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsDeviceRegistrationKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsDeviceRegistrationKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal with -Force' {
        Get-AmsConfirmImpact Remove-AmsDeviceRegistrationKey | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsDeviceRegistrationKey Id).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'removes with --force after -Force' {
        Remove-AmsDeviceRegistrationKey -Id 'k-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key remove --id k-1 --force'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsDeviceRegistrationKey -Id 'k-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
