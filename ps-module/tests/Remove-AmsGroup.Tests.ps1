#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Remove-AmsGroup, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Remove-AmsGroup' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact removal with -Force' {
        Get-AmsConfirmImpact Remove-AmsGroup | Should -BeExactly 'High'
        (Get-AmsParameterSet Remove-AmsGroup Id).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'removes with --force after -Force' {
        Remove-AmsGroup -Id 'g-1' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'group remove --id g-1 --force'
    }

    It 'does not run ams under -WhatIf' {
        Remove-AmsGroup -Id 'g-1' -Force -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'removes piped groups in one batch' {
        'g-1', 'g-2', 'g-3' | ForEach-Object { [pscustomobject]@{ Id = $_ } } | Remove-AmsGroup -Force
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'batch'
        $call.StdinLines.Count | Should -Be 3
    }
}
