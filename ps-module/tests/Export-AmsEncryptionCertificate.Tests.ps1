#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }
# Unit tests of Export-AmsEncryptionCertificate, against tests/stub/ams.ps1.

BeforeAll {
    . (Join-Path $PSScriptRoot 'TestHelpers.ps1')
    Import-AmsTestModule
    Use-AmsStub
}

AfterAll {
    Remove-AmsStub
}

Describe 'Export-AmsEncryptionCertificate' {
    BeforeEach {
        Reset-AmsStubLog
        Clear-AmsStubResponse
    }

    It 'takes the PFX password as a SecureString and is a Medium impact change' {
        Get-AmsConfirmImpact Export-AmsEncryptionCertificate | Should -BeExactly 'Medium'
        (Get-Command Export-AmsEncryptionCertificate).Parameters['Password'].ParameterType | Should -Be ([System.Security.SecureString])
        (Get-Command Export-AmsEncryptionCertificate).Parameters['Out'].Aliases | Should -Contain 'Path'
    }

    It 'passes the thumbprint and file, and the password on stdin only' {
        $file = Join-Path $TestDrive 'cert.pfx'
        $thumbprint = 'F9FCAC264166463C90CA96EC4D07748A97615F60'
        $result = Export-AmsEncryptionCertificate -Thumbprint $thumbprint -Path $file -Password (New-AmsTestSecureString 'PfxCanary42') -Confirm:$false
        $call = Get-AmsStubCall
        $call.Argv | Should -Be @('cert', 'export', '--thumbprint', $thumbprint, '--out', $file)
        $call.Stdin | Should -BeExactly "PfxCanary42`n"
        ($call.Argv -join "`n") | Should -Not -Match 'PfxCanary42'
        $result.PSTypeNames[0] | Should -BeExactly 'Ams.EncryptionCertificateExport'
    }

    It 'passes -Legacy as --legacy' {
        $file = Join-Path $TestDrive 'cert.pfx'
        $null = Export-AmsEncryptionCertificate -Thumbprint ('A' * 40) -Out $file -Password (New-AmsTestSecureString 'x') -Legacy -Confirm:$false
        (Get-AmsStubCall).Argv[-1] | Should -BeExactly '--legacy'
    }

    It 'takes the thumbprint from Get-AmsEncryptionCertificate' {
        $file = Join-Path $TestDrive 'cert.pfx'
        $null = Get-AmsEncryptionCertificate | Export-AmsEncryptionCertificate -Out $file -Password (New-AmsTestSecureString 'x') -Confirm:$false
        (@(Get-AmsStubCall)[-1]).Line | Should -BeExactly "cert export --thumbprint F9FCAC264166463C90CA96EC4D07748A97615F60 --out $file"
    }

    It 'does not run ams under -WhatIf' {
        Export-AmsEncryptionCertificate -Thumbprint ('A' * 40) -Out (Join-Path $TestDrive 'c.pfx') -Password (New-AmsTestSecureString 'x') -WhatIf
        @(Get-AmsStubCall).Count | Should -Be 0
    }
}
