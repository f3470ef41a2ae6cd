#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Test-AmsAuditTrail, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Test-AmsAuditTrail' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs audit verify without arguments' {
        $null = Test-AmsAuditTrail
        (Get-AmsStubCall).Line | Should -BeExactly 'audit verify'
    }

    It 'passes a saved head' {
        $head = 'a' * 64
        $null = Test-AmsAuditTrail -ExpectHead $head
        (Get-AmsStubCall).Line | Should -BeExactly "audit verify --expect-head $head"
    }

    It 'refuses a head that is not a SHA-256 hash without starting ams' {
        { Test-AmsAuditTrail -ExpectHead 'nope' } | Should -Throw
        Get-AmsStubCall | Should -BeNullOrEmpty
    }
}
