#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Set-AmsGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Set-AmsGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes -Id from the pipeline' {
        (Get-AmsParameterSet Set-AmsGroup Id).ValueFromPipelineByPropertyName | Should -BeTrue
        (Get-Command Set-AmsGroup).Parameters.ContainsKey('WhatIf') | Should -BeTrue
    }

    It 'renames a group' {
        $group = Set-AmsGroup -Id 'g-1' -Name 'Lobby kiosks'
        (Get-AmsStubCall).Argv -join '|' | Should -BeExactly 'group|set|--id|g-1|--name|Lobby kiosks'
        $group.PSTypeNames[0] | Should -BeExactly 'Ams.Group'
    }

    It 'updates piped groups in one batch' {
        $groups = @(Get-AmsGroup)
        Reset-AmsStubLog
        $null = $groups | Set-AmsGroup -Description 'x'
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        $call.StdinLines.Count | Should -Be 2
        ($call.StdinLines[0] | ConvertFrom-Json).verb | Should -BeExactly 'group set'
    }

    It 'does not run ams under -WhatIf' {
        Set-AmsGroup -Id 'g-1' -Name 'x' -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
