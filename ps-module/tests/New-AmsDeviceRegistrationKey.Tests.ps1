#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsDeviceRegistrationKey, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsDeviceRegistrationKey' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'needs a name and takes switches for the options' {
        (Get-AmsParameterSet New-AmsDeviceRegistrationKey Name).IsMandatory | Should -BeTrue
        (Get-Command New-AmsDeviceRegistrationKey).Parameters['Disable'].SwitchParameter | Should -BeTrue
        (Get-Command New-AmsDeviceRegistrationKey).Parameters['ApprovalRequired'].SwitchParameter | Should -BeTrue
        (Get-Command New-AmsDeviceRegistrationKey).Parameters['ActivationLimit'].ParameterType | Should -Be ([int])
    }

    It 'creates a key with every option' {
        $key = New-AmsDeviceRegistrationKey -Name 'Linux' -Disable -ActivationLimit 50 -ApprovalRequired
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key new --name Linux --activation-limit 50 --approval-required true --enabled false'
        $key.PSTypeNames[0] | Should -BeExactly 'Ams.RegistrationKey'
        $key.ActivationsLeft | Should -Be 7
    }

    It 'leaves out options that were not given' {
        $null = New-AmsDeviceRegistrationKey -Name 'Plain'
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key new --name Plain'
    }

    It 'does not run ams under -WhatIf' {
        New-AmsDeviceRegistrationKey -Name 'x' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
