#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsGroupMember, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsGroupMember' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact change with optional devices' {
        Get-AmsConfirmImpact Remove-AmsGroupMember | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsGroupMember Devices).IsMandatory | Should -BeFalse
    }

    It 'removes the given devices' {
        Remove-AmsGroupMember -Id 'g-1' -Devices 'd-1', ([pscustomobject]@{ Id = 'd-2' }) -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'group-member remove --id g-1 --devices d-1 --devices d-2 --force'
    }

    It 'empties the group when -Devices is left out' {
        Remove-AmsGroupMember -Id 'g-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'group-member remove --id g-1 --force'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsGroupMember -Id 'g-1' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
