#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsDatabaseStatus, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsDatabaseStatus' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs db status' {
        $status = Get-AmsDatabaseStatus
        (Get-AmsStubCall).Line | Should -BeExactly 'db status'
        $status.PSTypeNames[0] | Should -BeExactly 'Ams.DatabaseStatus'
        $status.SchemaVersion | Should -Be 2
    }
}
