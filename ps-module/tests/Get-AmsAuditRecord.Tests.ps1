#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsAuditRecord, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsAuditRecord' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'passes the filters' {
        $records = @(Get-AmsAuditRecord -TargetId 'g-1' -Limit 5)
        (Get-AmsStubCall).Line | Should -BeExactly 'audit get --target-id g-1 --limit 5'
        $records[0].PSTypeNames[0] | Should -BeExactly 'Ams.AuditRecord'
    }
}
