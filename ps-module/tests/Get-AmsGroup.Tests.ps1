#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'has the GetByName (default), GetBySid and GetById parameter sets' {
        $command = Get-Command -Name Get-AmsGroup -Module AccessManager
        $command.DefaultParameterSet | Should -BeExactly 'GetByName'
        ($command.ParameterSets.Name | Sort-Object) -join ',' | Should -BeExactly 'GetById,GetByName,GetBySid'
        (Get-AmsParameterSet Get-AmsGroup SecurityIdentifier GetBySid).IsMandatory | Should -BeTrue
        (Get-AmsParameterSet Get-AmsGroup Name GetByName).Position | Should -Be 0
    }

    It 'lists groups typed as Ams.Group' {
        $groups = @(Get-AmsGroup)
        $groups.Count | Should -Be 2
        $groups | ForEach-Object { $_.PSTypeNames[0] | Should -BeExactly 'Ams.Group' }
    }

    It 'finds by <Parameter>' -TestCases @(
        @{ Parameter = 'Name'; Flag = '--name' }
        @{ Parameter = 'SecurityIdentifier'; Flag = '--security-identifier' }
        @{ Parameter = 'Id'; Flag = '--id' }
    ) {
        $splat = @{ $Parameter = 'value-1' }
        $null = Get-AmsGroup @splat
        (Get-AmsStubCall).Line | Should -BeExactly "group get $Flag value-1"
    }
}
