#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Add-AmsGroupMember, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Add-AmsGroupMember' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the group id from the pipeline and mandatory devices' {
        (Get-AmsParameterSet Add-AmsGroupMember Id).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-AmsParameterSet Add-AmsGroupMember Devices).IsMandatory | Should -BeTrue
        (Get-Command Add-AmsGroupMember).Parameters['Devices'].ParameterType | Should -Be ([object[]])
    }

    It 'reduces device objects to ids and repeats --devices' {
        $device = [pscustomobject]@{ Id = 'd-2'; Name = 'PC2' }
        $output = Add-AmsGroupMember -Id 'g-1' -Devices 'd-1', $device, @{ Id = 'd-3' }
        $output | Should -BeNullOrEmpty
        (Get-AmsStubCall).Line | Should -BeExactly 'group-member add --id g-1 --devices d-1 --devices d-2 --devices d-3'
    }

    It 'refuses a device value without an Id before running ams' {
        { Add-AmsGroupMember -Id 'g-1' -Devices ([pscustomobject]@{ Name = 'PC1' }) } |
            Should -Throw -ErrorId 'AmsInvalidObjectReference*'
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'sends piped groups through one batch with the same devices' {
        @(Get-AmsGroup) | Add-AmsGroupMember -Devices 'd-1', 'd-2'
        $calls = @(Get-AmsStubCall)
        $calls[-1].Line | Should -BeExactly 'batch'
        $request = $calls[-1].StdinLines[0] | ConvertFrom-Json
        $request.verb | Should -BeExactly 'group-member add'
        $request.parameters.Devices -join ',' | Should -BeExactly 'd-1,d-2'
    }
}
