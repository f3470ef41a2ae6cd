#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Get-AmsEncryptionCertificateStatus, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Get-AmsEncryptionCertificateStatus' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'runs cert status without arguments' {
        $status = Get-AmsEncryptionCertificateStatus
        $call = Get-AmsStubCall
        $call.Line | Should -BeExactly 'cert status'
        $call.Stdin | Should -BeExactly ''
        @($status)[0].PSTypeNames[0] | Should -BeExactly 'Ams.EncryptionCertificateStatus'
    }
}
