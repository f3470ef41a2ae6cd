#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Enable-AmsEncryptionCertificate, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Enable-AmsEncryptionCertificate' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'is a High impact key change taking the thumbprint from the pipeline' {
        Get-AmsConfirmImpact Enable-AmsEncryptionCertificate | Should -BeExactly 'High'
        (Get-AmsParameterSet Enable-AmsEncryptionCertificate Thumbprint).ValueFromPipelineByPropertyName | Should -BeTrue
    }

    It 'activates a certificate' {
        $null = Enable-AmsEncryptionCertificate -Thumbprint 'F9FCAC264166463C90CA96EC4D07748A97615F60' -Force
        (Get-AmsStubCall).Line | Should -BeExactly 'cert activate --thumbprint F9FCAC264166463C90CA96EC4D07748A97615F60'
    }

    It 'refuses a malformed thumbprint without running ams' {
        { Enable-AmsEncryptionCertificate -Thumbprint 'xyz' -Force } | Should -Throw
        @(Get-AmsStubCall).Count | Should -Be 0
    }

    It 'does not run ams under -WhatIf' {
        @(Get-AmsEncryptionCertificate) | Enable-AmsEncryptionCertificate -WhatIf
        @(Get-AmsStubCall | Where-Object { $_.Line -ne 'cert list' }).Count | Should -Be 0
    }
}
