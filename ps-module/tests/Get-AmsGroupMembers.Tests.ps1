#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsGroupMembers, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsGroupMembers' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the group id from the pipeline' {
        (Get-AmsParameterSet Get-AmsGroupMembers Id).IsMandatory | Should -BeTrue
        (Get-AmsParameterSet Get-AmsGroupMembers Id).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'returns the members as Ams.Device objects' {
        $members = @(Get-AmsGroupMembers -Id 'g-1')
        (Get-AmsStubCall).Line | Should -BeExactly 'group-members get --id g-1'
        $members.Count | Should -Be 2
        $members[0].PSTypeNames[0] | Should -BeExactly 'Ams.Device'
    }

    It 'reads the members of piped groups in one batch' {
        $groups = @(Get-AmsGroup)
        Reset-AmsStubLog
        $members = @($groups | Get-AmsGroupMembers)
        $members.Count | Should -Be 4
        (Get-AmsStubCall).Line | Should -BeExactly 'batch'
    }
}
