#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of New-AmsGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'New-AmsGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the name first by position and is state-changing' {
        (Get-AmsParameterSet New-AmsGroup Name).IsMandatory | Should -BeTrue
        (Get-AmsParameterSet New-AmsGroup Name).Position | Should -Be 0
        (Get-Command New-AmsGroup).Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It 'creates a group with a description' {
        $group = New-AmsGroup 'Kiosks' -Description 'Lobby machines'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'group|new|--name|Kiosks|--description|Lobby machines'
        $group.PSTypeNames[0] | Should -BeExactly 'Ams.Group'
        $group.GroupId | Should -BeExactly $group.Id
    }

    It 'passes an empty description as an empty argument' {
        $null = New-AmsGroup -Name 'Kiosks' -Description ''
        $call = Get-AmsStubCall
        $call.Argv.Count | Should -Be 6
        $call.Argv[5] | Should -BeExactly ''
    }

    It 'does not run ams under -WhatIf' {
        New-AmsGroup -Name 'Kiosks' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'reports a duplicate name as ResourceExists' {
        New-AmsGroup -Name 'fail-conflict' -ErrorAction SilentlyContinue -ErrorVariable failures
        $failures[0].CategoryInfo.Category | Should -Be 'ResourceExists'
    }
}
