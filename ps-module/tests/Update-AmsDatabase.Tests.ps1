#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Update-AmsDatabase, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Update-AmsDatabase' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs db migrate' {
        $report = Update-AmsDatabase -Confirm:$false
        (Get-AmsStubCall).Line | Should -BeExactly 'db migrate'
        $report.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseMigration'
    }

    It 'prints the pending script with -PrintSql, without asking' {
        $report = Update-AmsDatabase -PrintSql
        (Get-AmsStubCall).Line | Should -BeExactly 'db migrate --print-sql'
        $report.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseMigrationScript'
    }

    It 'does not run ams under -WhatIf' {
        Update-AmsDatabase -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
