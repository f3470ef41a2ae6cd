#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Add-AmsDeviceRegistrationKeyGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Add-AmsDeviceRegistrationKeyGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the key id from the pipeline and mandatory groups' {
        (Get-AmsParameterSet Add-AmsDeviceRegistrationKeyGroup Id).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-AmsParameterSet Add-AmsDeviceRegistrationKeyGroup Groups).IsMandatory | Should -BeTrue
    }

    It 'reduces group objects to ids and repeats --groups' {
        $groups = @(Get-AmsGroup)
        Reset-AmsStubLog
        $output = Add-AmsDeviceRegistrationKeyGroup -Id 'k-1' -Groups ($groups + 'g-9')
        $output | Should -BeNullOrEmpty
        (Get-AmsStubCall).Line | Should -BeExactly 'device-registration-key-group add --id k-1 --groups g-1 --groups g-2 --groups g-9'
    }

    It 'does not run ams under -WhatIf' {
        Add-AmsDeviceRegistrationKeyGroup -Id 'k-1' -Groups 'g-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
