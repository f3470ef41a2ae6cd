#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsEncryptionCertificate, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsEncryptionCertificate' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs cert list and marks the active certificate' {
        $certs = @(Get-AmsEncryptionCertificate)
        (Get-AmsStubCall).Line | Should -BeExactly 'cert list'
        $certs[0].PSTypeNames[0] | Should -BeExactly 'Ams.EncryptionCertificate'
        $certs[0].IsActive | Should -BeTrue
    }
}
